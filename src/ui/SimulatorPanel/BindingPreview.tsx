import { useDeferredValue, useMemo } from 'react';
import { bindingParameters } from '../../core/learning';
import type { BindingParameter } from '../../core/learning';
import { getBuiltinFilter } from '../../core/library';
import type { FilterDoc } from '../../core/model';
import { selectActiveDoc, useStudioStore } from '../../store';
import { usePanelsStore } from '../../store/panels-store';

const SOURCE_LABEL: Record<BindingParameter['source'], string> = {
  given: 'set',
  mac: 'from the interface',
  learned: 'learned by libvirt',
  required: 'required',
  'learning-control': 'optional',
};

/**
 * The binding preview: every parameter the open filter's filterref tree uses, and where libvirt
 * takes its value from when the binding (the host settings' parameters) gives none.
 */
export function BindingPreview() {
  const doc = useDeferredValue(useStudioStore(selectActiveDoc));
  const filters = useDeferredValue(useStudioStore((s) => s.workspace.filters));
  const settings = useDeferredValue(usePanelsStore((s) => s.settings));
  const rows = useMemo(() => {
    if (!doc) return [];
    const docs = filters.map((f) => f.doc);
    const lookup = (name: string): FilterDoc | undefined =>
      docs.find((d) => d.name === name) ?? getBuiltinFilter(name, settings.libvirt)?.doc;
    return bindingParameters(lookup, doc.name, settings.params);
  }, [doc, filters, settings]);
  if (!doc || rows.length === 0) return null;
  return (
    <table className="binding-preview small" aria-label="Binding parameters">
      <caption>
        Parameters of the binding of <code>{doc.name}</code>
      </caption>
      <thead>
        <tr>
          <th scope="col">name</th>
          <th scope="col">value</th>
          <th scope="col">how libvirt gets it</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.name} className={`bp-${r.source}`}>
            <th scope="row">
              <code>{r.name}</code>
            </th>
            <td>{r.values.length > 0 ? r.values.join(' ') : <span className="muted">—</span>}</td>
            <td>
              <strong>{SOURCE_LABEL[r.source]}</strong>: {r.note}
              {r.uses.length > 0 && <span className="muted"> (uses {r.uses.join(', ')})</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
