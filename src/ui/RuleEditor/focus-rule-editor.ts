import { openEditingRoom } from './editing-room';

/**
 * Moves keyboard focus into the rule editor form (below the table) once it
 * shows the newly selected entry: to the first attribute the match sets (else
 * its first attribute; `attribute` names one), or to the form's first field. The form is
 * scrolled into view so it stays visible next to the row it edits.
 */
export function focusRuleEditor(
  part: 'match' | 'first',
  options: { select?: boolean; attribute?: string } = {},
): void {
  openEditingRoom();
  requestAnimationFrame(() => {
    const form = document.querySelector<HTMLElement>('section.rule-editor');
    if (!form) return;
    const attrs = Array.from(
      form.querySelectorAll<HTMLInputElement>('.attr-grid input:not([type])'),
    );
    const named = options.attribute
      ? attrs.find((i) => i.id.endsWith(`-${options.attribute}`))
      : undefined;
    const target =
      named ??
      (part === 'match' ? (attrs.find((i) => i.value !== '') ?? attrs[0]) : undefined) ??
      form.querySelector<HTMLElement>('input, select, button');
    form.scrollIntoView({ block: 'nearest' });
    target?.focus();
    // A new rule's placeholder value: typing replaces it.
    if (options.select && target instanceof HTMLInputElement) target.select();
  });
}

/** Gives focus back to the selected row of the rule table (Escape in the form). */
export function focusSelectedRow(): boolean {
  const row = document.querySelector<HTMLElement>('.rt-body [role="row"][aria-selected="true"]');
  row?.focus();
  return !!row;
}
