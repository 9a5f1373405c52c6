import { LIBRARY_FILTERS } from '../../store/core-bridge';
import {
  LIBRARY_PREFIX,
  selectActiveId,
  selectWorkspaceFilters,
  useHostMarks,
  useStudioStore,
} from '../../store';

/** The workspace's filters and the built-in library (read-only), each openable. */
export function Sidebar() {
  const filters = useStudioStore(selectWorkspaceFilters);
  const activeId = useStudioStore(selectActiveId);
  const fromHost = useHostMarks((s) => s.fromHost);
  const { openFilter, deleteFilter, copyLibraryFilter } = useStudioStore.getState();
  return (
    <nav className="sidebar" aria-label="Filters">
      <h2>Workspace</h2>
      <ul className="filter-list">
        {filters.map((f) => (
          <li key={f.id} className={f.id === activeId ? 'is-active' : ''}>
            <button
              type="button"
              className="filter-link"
              aria-current={f.id === activeId ? 'page' : undefined}
              onClick={() => openFilter(f.id)}
            >
              {f.doc.name || '(unnamed)'}
              {fromHost[f.doc.name] !== undefined && (
                <span
                  className="host-mark"
                  title={`Imported from the host ${fromHost[f.doc.name]}`}
                >
                  host
                </span>
              )}
              <span className="count">{f.doc.entries.length}</span>
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label={`Delete filter ${f.doc.name}`}
              title="Delete (undoable)"
              onClick={() => deleteFilter(f.id)}
            >
              ✕
            </button>
          </li>
        ))}
        {filters.length === 0 && <li className="hint">No filters. Create one from a template.</li>}
      </ul>
      <h2>Library</h2>
      {LIBRARY_FILTERS.length === 0 && (
        <p className="hint">The built-in filters are not available.</p>
      )}
      <ul className="filter-list library">
        {LIBRARY_FILTERS.map((f) => {
          const id = `${LIBRARY_PREFIX}${f.name}`;
          return (
            <li key={f.name} className={id === activeId ? 'is-active' : ''}>
              <button
                type="button"
                className="filter-link"
                title={f.description}
                aria-current={id === activeId ? 'page' : undefined}
                onClick={() => openFilter(id)}
              >
                {f.name}
              </button>
              <button
                type="button"
                className="icon-button copy-button"
                aria-label={`Copy ${f.name} to the workspace`}
                title="Copy to the workspace to edit"
                onClick={() => copyLibraryFilter(f.name)}
              >
                copy
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
