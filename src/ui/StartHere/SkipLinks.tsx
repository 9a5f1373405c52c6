/** Focuses the rule table: its selected row, else the rows themselves. */
function focusRules(): boolean {
  const target =
    document.querySelector<HTMLElement>('.rt-body [role="row"][aria-selected="true"]') ??
    document.querySelector<HTMLElement>('.rt-body[tabindex="0"]');
  target?.focus();
  return !!target;
}

function focusXml(): boolean {
  const target =
    document.querySelector<HTMLElement>('.xml-pane textarea') ??
    document.querySelector<HTMLElement>('.xml-pane .xml-fallback');
  target?.focus();
  return !!target;
}

function focusPanels(): boolean {
  const target = document.querySelector<HTMLElement>('.panels [role="tab"][aria-selected="true"]');
  target?.focus();
  return !!target;
}

const LINKS = [
  { href: '#rules', label: 'Skip to the rule table', focus: focusRules },
  { href: '#xml', label: 'Skip to the XML', focus: focusXml },
  { href: '#panels', label: 'Skip to the simulator and the other panels', focus: focusPanels },
];

/** The first stops of the Tab key: straight to the rule table, the XML or the panels. */
export function SkipLinks() {
  return (
    <nav className="skip-links" aria-label="Skip links">
      {LINKS.map((l) => (
        <a
          key={l.href}
          className="skip-link"
          href={l.href}
          onClick={(e) => {
            if (l.focus()) e.preventDefault();
          }}
        >
          {l.label}
        </a>
      ))}
    </nav>
  );
}
