import { useMemo } from 'react';
import { DEFAULT_EXAMPLE } from '../core/examples';
import { parseFilterXmlFallback } from './fallback-parse';
import { orderRows } from './RuleTable/order-rows';
import { summarizeMatch } from './RuleTable/summarize-match';

/** The application shell: header, rule table and XML of the opened filter. */
export function App() {
  const xml = DEFAULT_EXAMPLE.xml;
  const doc = useMemo(() => parseFilterXmlFallback(xml).doc, [xml]);
  const rows = useMemo(() => (doc ? orderRows(doc) : []), [doc]);
  return (
    <div className="app">
      <header className="app-header">
        <h1>nwfilter-studio</h1>
      </header>
      <main className="app-main">
        <section className="filter-pane" aria-label="Filter">
          <h2 className="filter-name">{doc?.name}</h2>
          <table aria-label="Rules" className="rule-table">
            <thead>
              <tr>
                <th>Priority</th>
                <th>Action</th>
                <th>Direction</th>
                <th>Protocol</th>
                <th>Match</th>
                <th>State</th>
                <th>Comment</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ entry, index }) =>
                entry.kind === 'rule' ? (
                  <tr key={index}>
                    <td>{entry.rule.priority}</td>
                    <td>{entry.rule.action}</td>
                    <td>{entry.rule.direction}</td>
                    <td>{entry.rule.protocol}</td>
                    <td>{summarizeMatch(entry.rule)}</td>
                    <td>{entry.rule.attrs.state?.value ?? ''}</td>
                    <td>{entry.rule.attrs.comment?.value ?? ''}</td>
                  </tr>
                ) : (
                  <tr key={index}>
                    <td colSpan={7}>filterref {entry.ref.filter}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </section>
        <section className="xml-pane" aria-label="XML">
          <pre>{xml}</pre>
        </section>
      </main>
    </div>
  );
}
