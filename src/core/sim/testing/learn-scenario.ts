/**
 * A scenario run on the docs' FTP-server filter bound without IP (libvirt learns the address),
 * with the backend's learning rules and rebuilds — what the learning tests of both backends run.
 */
import { getBackend } from '../../compile/backends';
import type { BackendId } from '../../compile/backends';
import { compileFilter } from '../../compile/compile-filter';
import { FTP_SERVER_XML } from '../../examples/ftp-server';
import { createWorkspaceLookup } from '../../instantiate/instantiate-filter';
import { getBuiltinFilter } from '../../library/builtin-filters';
import { parseFilterXml } from '../../xml/parse-filter-xml';
import { learningRunOf } from '../learning-timeline';
import { runScenario } from '../run-scenario';
import type { ScenarioRun } from '../run-scenario';
import { DEFAULT_HOSTS, getScenario } from '../scenarios';

export function learnFtpScenario(
  name: string,
  params: Record<string, string[]> = {},
  backend: BackendId = 'ebiptables',
  host: { nfConntrackBridge?: boolean } = {},
): ScenarioRun {
  const { doc } = parseFilterXml(FTP_SERVER_XML);
  if (!doc) throw new Error('parse');
  const lookup = createWorkspaceLookup([doc], (n) => getBuiltinFilter(n)?.doc);
  const compile = (p: Record<string, readonly string[]>) =>
    compileFilter(
      lookup,
      doc.name,
      { iface: 'vnet0', mac: DEFAULT_HOSTS.vm.mac, params: p },
      getBackend(backend),
    );
  const compiled = compile(params);
  const learning = learningRunOf(compiled, (ips) => compile({ ...params, IP: ips }), host);
  if (!compiled.ruleset || !learning) throw new Error(JSON.stringify(compiled.diagnostics));
  const sc = getScenario(name);
  if (!sc) throw new Error(name);
  return runScenario(compiled.ruleset, sc, { learning });
}
