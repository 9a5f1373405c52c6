/**
 * While a rule is being edited in the form, the form gets the room (on short screens the dock
 * shrinks and the filter's own fields step aside: see `body.is-editing-rule` in app.css).
 *
 * The mode starts when the form is opened on purpose (Enter or double-click on a match, ✎,
 * Add rule) — before the user clicks into it — and ends when focus leaves the form. A focus
 * change made with the pointer ends it only after the click is over: the layout must not move
 * under a button between its mousedown and its mouseup.
 */
const CLASS = 'is-editing-rule';
let installed = false;
let pointerDown = false;

function inForm(el: EventTarget | null): boolean {
  return !!(el as HTMLElement | null)?.closest?.('.rule-editor-wrap');
}

function end() {
  document.body.classList.remove(CLASS);
}

function install() {
  if (installed) return;
  installed = true;
  document.addEventListener('pointerdown', () => (pointerDown = true), true);
  document.addEventListener(
    'pointerup',
    () => {
      pointerDown = false;
      // After the click this pointer-up belongs to has been dispatched.
      setTimeout(() => {
        if (!inForm(document.activeElement)) end();
      }, 0);
    },
    true,
  );
  document.addEventListener('focusin', (e) => {
    if (!pointerDown && !inForm(e.target)) end();
  });
}

/** Gives the rule form the room to edit (until focus leaves it). */
export function openEditingRoom(): void {
  install();
  document.body.classList.add(CLASS);
  // The table just got shorter: keep the row being edited in sight.
  requestAnimationFrame(() =>
    document
      .querySelector('.rt-body [role="row"][aria-selected="true"]')
      ?.scrollIntoView({ block: 'nearest' }),
  );
}
