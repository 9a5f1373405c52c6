/**
 * Frames in and out of the kernel: drives ../py/frame-io.py (AF_PACKET sockets entered into the
 * bed's namespaces) and decides each frame's fate by content: a frame that entered the bridge on
 * one port was delivered iff the same bytes left the bridge on the other port.
 */
import type { MachineProcess } from '../../lib/machine';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Testbed } from './testbed';

const HELPER = join(import.meta.dirname, '..', 'py', 'frame-io.py');
/** Debian's interpreter without site packages: starts in milliseconds, unlike a pyenv shim. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const PYTHON_ARGS = ['-S'];

export type Side = 'from-vm' | 'to-vm';

/** A frame the scenario sends, `at` seconds after the start. */
export interface OutFrame {
  side: Side;
  bytes: Uint8Array;
  at: number;
  /** Indices of earlier frames that must have been delivered for this one to be sent. */
  requires?: readonly number[];
  /** Indices of earlier frames whose delivery means this one is not sent (the peer took another answer). */
  unless?: readonly number[];
}

/** One frame as a socket saw it. */
export interface SeenFrame {
  /** `vm`: the VM's side of the bridge, `peer`: the other port's side. */
  port: 'vm' | 'peer';
  t: number;
  /** The interface transmitted it (PACKET_OUTGOING). */
  out: boolean;
  hex: string;
}

/** What happened to a frame that entered the bridge. */
export interface KernelFate {
  side: Side;
  hex: string;
  /** Time it entered the bridge (seconds; the scenario clock for injected frames). */
  t: number;
  delivered: boolean;
}

export interface KernelRun {
  fates: KernelFate[];
  /** Scenario index of each fate (frames skipped because a required frame was not delivered are absent). */
  indices?: number[];
  skipped?: number[];
  /**
   * Frames that left the bridge without having entered it on the other port: made by the host
   * (REJECT's ICMP errors and TCP resets, the host's own ARP), with the port they left by.
   */
  hostFrames: { port: 'vm' | 'peer'; hex: string; t: number }[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Matches ingress frames to egress frames by content, each egress frame used once, in order.
 * `egress` lists frames as they left the bridge: on port `vm` towards the VM, `peer` away from it.
 */
export function decideFates(
  ingress: readonly { side: Side; hex: string; t: number }[],
  egress: readonly { port: 'vm' | 'peer'; hex: string; t: number }[],
  sameClock = false,
): KernelRun {
  const used = new Set<number>();
  const byHex = new Map<string, number[]>();
  egress.forEach((e, i) => {
    const k = `${e.port}/${e.hex}`;
    const list = byHex.get(k);
    if (list) list.push(i);
    else byHex.set(k, [i]);
  });
  // With send times on the capture's clock, a copy belongs to the frame sent last before it:
  // of two identical frames (a DNS answer and the same answer after the retry) where only the
  // second was delivered, the first must not take the second's copy. A frame's copy is stamped
  // after the frame before it was sent (its own send time, read after send() returned, can be
  // late on a loaded machine, so it is no bound), and before the next identical frame left: that
  // one is sent at least 12 ms (MIN_GAP) after the frame before it, half of which is the margin.
  const window = (k: number): [number, number] => {
    const f = ingress[k] as (typeof ingress)[number];
    const next = ingress.findIndex((g, i) => i > k && g.side === f.side && g.hex === f.hex);
    const sentAt = (i: number) => (ingress[i] as typeof f).t;
    return [k > 0 ? sentAt(k - 1) : -Infinity, next < 0 ? Infinity : sentAt(next - 1) + 0.006];
  };
  const fates = ingress.map((f, k) => {
    const list = byHex.get(`${f.side === 'from-vm' ? 'peer' : 'vm'}/${f.hex}`) ?? [];
    const [lo, hi] = sameClock ? window(k) : [-Infinity, Infinity];
    const j = list.find(
      (x) => !used.has(x) && (egress[x]?.t ?? 0) >= lo && (egress[x]?.t ?? 0) <= hi,
    );
    if (j !== undefined) used.add(j);
    return { side: f.side, hex: f.hex, t: f.t, delivered: j !== undefined };
  });
  const hostFrames = egress
    .filter((_, i) => !used.has(i))
    .map((e) => ({ port: e.port, hex: e.hex, t: e.t }));
  return { fates, hostFrames };
}

/**
 * Injects frames in order (each on the endpoint it comes from: the guest's eth0 for `from-vm`,
 * the client's eth0 for `to-vm`) and records what reaches the other endpoint. Needs a bed in
 * `inject` mode (endpoints without addresses, so their kernels stay silent).
 */
export async function injectFrames(
  bed: Testbed,
  frames: readonly OutFrame[],
  lingerMs = 100,
): Promise<KernelRun> {
  const input =
    frames
      .map((f) =>
        JSON.stringify({ port: f.side === 'from-vm' ? 'vm' : 'peer', hex: hex(f.bytes), at: f.at }),
      )
      .join('\n') + '\n';
  const last = frames.length ? Math.max(...frames.map((f) => f.at)) : 0;
  const r = await bed.machine.run(
    PYTHON,
    [
      ...PYTHON_ARGS,
      HELPER,
      'inject',
      '--port',
      `vm=${bed.ns.guest}:eth0`,
      '--port',
      `peer=${bed.ns.client}:eth0`,
      '--linger-ms',
      String(lingerMs),
    ],
    { input, allowFailure: true, timeoutMs: (last + 60) * 1000 },
  );
  if (r.code !== 0) throw new Error(`frame-io inject failed (exit ${r.code}): ${r.stderr}`);
  const res = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
    sent: { i: number; t: number }[];
    seen: SeenFrame[];
  };
  // Sockets on the endpoints: a frame the bridge delivered arrives there as received (not outgoing).
  const egress = res.seen.filter((s) => !s.out).map((s) => ({ port: s.port, hex: s.hex, t: s.t }));
  return decideFates(
    frames.map((f) => ({ side: f.side, hex: hex(f.bytes), t: f.at })),
    egress,
  );
}

/**
 * A long-lived injector for one bed (`frame-io.py serve`): the sockets stay open between
 * scenarios, which saves the helper's start and the sockets' teardown per scenario. It also
 * answers the bed's per-scenario requests (conntrack flush and listing, sysctls, nft loads) in
 * its own process: on a guest kernel under TCG every program started costs a good part of a
 * second, and a scenario needed a dozen.
 */
export class Injector {
  private buffer = '';
  private waiting: ((line: string) => void) | null = null;
  private err = '';
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly child: MachineProcess) {
    child.stdout?.on('data', (b: Buffer) => {
      this.buffer += b.toString();
      this.flush();
    });
    child.stderr?.on('data', (b: Buffer) => (this.err += b.toString()));
  }

  private flush(): void {
    const nl = this.buffer.indexOf('\n');
    if (nl >= 0 && this.waiting) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const w = this.waiting;
      this.waiting = null;
      w(line);
    }
  }

  private nextLine(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`frame-io serve: no answer in ${timeoutMs} ms; stderr: ${this.err}`)),
        timeoutMs,
      );
      const onExit = () => reject(new Error(`frame-io serve exited: ${this.err}`));
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        clearTimeout(timer);
        onExit();
        return;
      }
      this.child.once('exit', onExit);
      this.waiting = (line) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(line);
      };
      this.flush();
    });
  }

  /** The bed's injector (started once per bed: `Testbed.agent`). */
  static start(bed: Testbed): Promise<Injector> {
    return bed.agent();
  }

  /**
   * Starts `frame-io.py serve` for the bed: its requests about the bed's namespaces (`--control`:
   * the host namespace), its sockets on the endpoints opened once they exist (`ports`).
   */
  static async spawn(bed: Testbed): Promise<Injector> {
    // Pinned to one CPU: the kernel then handles every injected frame on that CPU, and
    // nf_conncount (connlimit) evicts the unconfirmed entries of dropped packets at once instead
    // of keeping those "added by another CPU" for 2 jiffies, which made counts nondeterministic.
    const child = bed.spawn(PYTHON, [
      ...PYTHON_ARGS,
      HELPER,
      'serve',
      '--cpu',
      '0',
      '--control',
      bed.ns.host,
    ]);
    const inj = new Injector(child);
    // A guest kernel under TCG takes seconds to start Python on a busy machine.
    const ready = await inj.nextLine(60_000);
    if (ready !== 'ready') throw new Error(`frame-io serve: unexpected "${ready}"`);
    return inj;
  }

  /** One line out, one line back; requests and batches take turns. */
  private exchange(line: string, timeoutMs: number): Promise<string> {
    const turn = this.queue.then(() => {
      this.child.stdin?.write(line + '\n');
      return this.nextLine(timeoutMs);
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** A request about the bed's host namespace (see frame-io.py, `--control`). */
  async request<T>(req: { op: string } & Record<string, unknown>): Promise<T> {
    const res = JSON.parse(await this.exchange(JSON.stringify(req), 120_000)) as T & {
      error?: string;
    };
    if (res.error) throw new Error(`frame-io ${req.op}: ${res.error}`);
    return res;
  }

  /** Injects one scenario's frames; see {@link injectFrames}. */
  async run(frames: readonly OutFrame[], lingerMs = 100): Promise<KernelRun> {
    const batch = {
      frames: frames.map((f) => ({
        port: f.side === 'from-vm' ? 'vm' : 'peer',
        hex: hex(f.bytes),
        at: f.at,
        ...(f.requires?.length ? { requires: f.requires } : {}),
        ...(f.unless?.length ? { unless: f.unless } : {}),
      })),
      linger_ms: lingerMs,
    };
    const last = frames.length ? Math.max(...frames.map((f) => f.at)) : 0;
    const res = JSON.parse(await this.exchange(JSON.stringify(batch), (last + 30) * 1000)) as {
      sent: { i: number; t: number }[];
      seen: SeenFrame[];
      skipped: number[];
    };
    const egress = res.seen
      .filter((s) => !s.out)
      .map((s) => ({ port: s.port, hex: s.hex, t: s.t }));
    const skipped = new Set(res.skipped);
    const indices = frames.map((_, i) => i).filter((i) => !skipped.has(i));
    const sentAt = new Map(res.sent.map((x) => [x.i, x.t]));
    const run = decideFates(
      indices.map((i) => ({
        side: frames[i]!.side,
        hex: hex(frames[i]!.bytes),
        t: sentAt.get(i) ?? frames[i]!.at,
      })),
      egress,
      indices.every((i) => sentAt.has(i)),
    );
    run.fates.forEach((f, k) => (f.t = frames[indices[k] as number]!.at));
    return { ...run, indices, skipped: res.skipped };
  }

  close(): void {
    this.child.stdin?.end();
  }
}

/** A capture on the bridge ports themselves (vnet0 and eth0 in the host namespace), for real applications. */
export class PortCapture {
  private constructor(
    private readonly bed: Testbed,
    private readonly child: MachineProcess,
    private readonly output: Promise<string>,
  ) {}

  static async start(bed: Testbed): Promise<PortCapture> {
    const child = bed.spawnIn('host', PYTHON, [
      ...PYTHON_ARGS,
      HELPER,
      'capture',
      '--port',
      'vm=' + bed.ns.host + ':vnet0',
      '--port',
      'peer=' + bed.ns.host + ':eth0',
    ]);
    let out = '';
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.startsWith('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`frame-io capture exited ${code}: ${err}`)));
    });
    const output = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
    await ready;
    return new PortCapture(bed, child, output);
  }

  /**
   * Stops the capture. Ingress frames are those a port received from its endpoint; on vnet0 they
   * are `from-vm`, on eth0 `to-vm` (whatever their destination, as the bridge sees them).
   */
  async stop(): Promise<KernelRun & { seen: SeenFrame[] }> {
    await new Promise((r) => setTimeout(r, 200));
    this.child.stdin?.end('stop\n');
    const timer = setTimeout(() => void this.bed.stop(this.child, 'SIGKILL'), 10_000);
    const text = await this.output;
    clearTimeout(timer);
    const res = JSON.parse(text.slice(text.indexOf('{'))) as { seen: SeenFrame[] };
    const ingress = res.seen
      .filter((s) => !s.out)
      .map((s) => ({ side: (s.port === 'vm' ? 'from-vm' : 'to-vm') as Side, hex: s.hex, t: s.t }));
    const egress = res.seen.filter((s) => s.out).map((s) => ({ port: s.port, hex: s.hex, t: s.t }));
    return { ...decideFates(ingress, egress), seen: res.seen };
  }
}
