import type { ConnView, ExpectationView } from '../../core/conntrack';

/** The conntrack table and the expectations right after the current packet. */
export function ConntrackView({
  table,
  expectations,
}: {
  table: ConnView[];
  expectations: ExpectationView[];
}) {
  return (
    <section className="ct-view" aria-label="Conntrack table">
      <h3>Conntrack table after this packet</h3>
      {table.length === 0 ? (
        <p className="muted">No connections.</p>
      ) : (
        <table className="ct-table">
          <thead>
            <tr>
              <th scope="col">proto</th>
              <th scope="col">state</th>
              <th scope="col">original</th>
              <th scope="col">reply</th>
              <th scope="col">timeout</th>
              <th scope="col">flags</th>
            </tr>
          </thead>
          <tbody>
            {table.map((c) => (
              <tr key={c.id} title={c.text}>
                <td>{c.proto}</td>
                <td>{c.state ?? '—'}</td>
                <td className="mono">
                  {c.original.src}
                  {c.original.sport !== undefined ? `:${c.original.sport}` : ''} → {c.original.dst}
                  {c.original.dport !== undefined ? `:${c.original.dport}` : ''}
                </td>
                <td className="mono">
                  {c.reply.src}
                  {c.reply.sport !== undefined ? `:${c.reply.sport}` : ''} → {c.reply.dst}
                  {c.reply.dport !== undefined ? `:${c.reply.dport}` : ''}
                </td>
                <td>{c.timeout} s</td>
                <td>
                  {[
                    c.assured ? 'ASSURED' : '',
                    c.unreplied ? 'UNREPLIED' : '',
                    c.helper ? `helper=${c.helper}` : '',
                    c.master !== null ? 'expected' : '',
                  ]
                    .filter(Boolean)
                    .join(' ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Expectations</h3>
      {expectations.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="ct-expect">
          {expectations.map((x) => (
            <li key={x.id} className="mono">
              {x.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
