import type { DriftReport } from './compare-interface-rules';
import type { LibvirtVersion } from '../library';

/**
 * The JSON of `nwfilter-studio serve`'s API (src/cli/host/server.ts), shared by the server and
 * the app's Host tab so that both sides speak one shape.
 */

/** `GET /api/host`. */
export interface HostInfo {
  uri: string;
  allowDefine: boolean;
  libvirt: { daemon: string; target: LibvirtVersion };
}

/** One filter of `GET /api/filters`. */
export interface HostFilterJson {
  name: string;
  uuid: string;
  /** `virsh nwfilter-dumpxml` of it. */
  xml: string;
}

/** One binding's drift, as `GET /api/drift` and `drift --json` give it. */
export interface BindingDrift {
  portdev: string;
  filter: string;
  libvirt: { daemon: string; target: LibvirtVersion };
  report: DriftReport;
}

/** One line of a preview diff. */
export interface PreviewLine {
  op: '-' | '+';
  text: string;
}

/** `POST /api/define/preview`: what defining a filter would change, before anything is defined. */
export interface DefinePreview {
  name: string;
  /** The host's `nwfilter-dumpxml`, or null for a new filter. */
  hostXml: string | null;
  /** What libvirt will hold after the define (libvirt's write-back, the host's UUID kept). */
  newXml: string;
  /** Lines of `hostXml` and `newXml` on one side only (empty: no change). */
  xmlDiff: PreviewLine[];
  /** Per binding whose filter reaches this one: the firewall commands that change. */
  bindings: { portdev: string; filter: string; ruleChanges: PreviewLine[]; error?: string }[];
  /** The value to send back to define exactly this preview. */
  confirm: string;
}
