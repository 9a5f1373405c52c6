/**
 * A guest kernel under qemu, driven from the host (see ../README.md).
 *
 * The guest has no network device. Its root is the host's root shared read-only over 9p with a
 * tmpfs overlay on top (the same node, tree and tools at the same paths), plus one writable
 * shared folder (`sharedTmp`, at the same path on both sides). A small initramfs built here
 * (busybox-static, the virtio / 9p / overlay modules) mounts that and starts
 * `py/agent.py`, which runs the programs the host asks for over a virtio-serial port: the test
 * process itself stays on the host (`Machine`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Machine, MachineProcess } from '../../lib/machine';
import { runCommand, type CommandResult, type RunOptions } from '../../lib/run-command';
import { moduleClosure, type GuestKernel } from './guest-kernel';

const AGENT = join(import.meta.dirname, '..', 'py', 'agent.py');
/** What the initramfs loads to reach the shared root and the agent's port. */
const BOOT_MODULES = ['virtio_pci', 'virtio_console', '9pnet_virtio', '9p', 'overlay'];
/**
 * Loaded before the agent starts: the bridge, its netfilter and bridge conntrack (the reason
 * for the guest). Everything else (nft expressions, xt matches, helpers) the kernel loads on
 * demand through `kernel.modprobe`, which points at busybox's modprobe.
 */
export const GUEST_MODULES = ['bridge', 'br_netfilter', 'veth', 'nf_conntrack_bridge'];

export interface BootOptions {
  qemu: string;
  kernel: GuestKernel;
  log: (s: string) => void;
  memoryMb?: number;
  cpus?: number;
  /** Give up on the boot after this long (TCG boots in ~30 s on an idle machine). */
  bootTimeoutMs?: number;
}

/**
 * How qemu runs the guest: KVM where the host's CPU offers hardware virtualisation, else TCG
 * (emulation; $NWFS_GUEST_ACCEL=kvm|tcg forces one), with the reason.
 */
export function chooseAccel(): { accel: 'kvm' | 'tcg'; why: string } {
  const forced = process.env.NWFS_GUEST_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, why: 'NWFS_GUEST_ACCEL' };
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', why: 'no /dev/kvm' };
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  if (/\b(vmx|svm)\b/.test(flags)) return { accel: 'kvm', why: '/dev/kvm with vmx/svm' };
  const pvm = existsSync('/sys/module/kvm_pvm');
  return {
    accel: 'tcg',
    why: pvm
      ? '/dev/kvm is kvm_pvm (no vmx/svm in this CPU): it runs only PVM-enabled guest kernels, and Debian’s hangs after the boot loader'
      : '/dev/kvm exists but the CPU offers no vmx/svm',
  };
}

interface AgentEvent {
  ev: 'ready' | 'spawned' | 'error' | 'out' | 'eof' | 'exit';
  id?: number;
  pid?: number;
  fd?: 1 | 2;
  data?: string;
  code?: number | null;
  signal?: number | null;
  message?: string;
  release?: string;
}

const SIGNALS: Record<string, number> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2, SIGHUP: 1 };
const SIGNAL_NAMES = Object.fromEntries(
  Object.entries(SIGNALS).map(([k, v]) => [v, k as NodeJS.Signals]),
);

class GuestProcess extends EventEmitter implements MachineProcess {
  pid: number | undefined = undefined;
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private eofs = 0;
  private exited = false;

  constructor(
    readonly id: number,
    private readonly vm: GuestVm,
  ) {
    super();
    this.stdin.on('data', (b: Buffer) => vm.send({ op: 'stdin', id, data: b.toString('base64') }));
    this.stdin.on('finish', () => vm.send({ op: 'eof', id }));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    this.vm.send({ op: 'kill', id: this.id, signal: SIGNALS[signal] ?? 15 });
    return true;
  }

  /** @internal */
  event(e: AgentEvent): void {
    if (e.ev === 'spawned') this.pid = e.pid;
    else if (e.ev === 'out')
      (e.fd === 2 ? this.stderr : this.stdout).write(Buffer.from(e.data ?? '', 'base64'));
    else if (e.ev === 'eof') {
      (e.fd === 2 ? this.stderr : this.stdout).end();
      if (++this.eofs === 2 && this.exited) this.emit('close', this.exitCode, this.signalCode);
    } else if (e.ev === 'error') {
      if (this.exited) return;
      this.exited = true;
      this.signalCode = 'SIGKILL';
      this.stdout.end();
      this.stderr.end();
      if (this.listenerCount('error') > 0) this.emit('error', new Error(e.message));
      this.emit('exit', null, this.signalCode);
      this.emit('close', null, this.signalCode);
    } else if (e.ev === 'exit') {
      this.exited = true;
      this.exitCode = e.code ?? null;
      this.signalCode = e.signal ? (SIGNAL_NAMES[e.signal] ?? 'SIGKILL') : null;
      this.emit('exit', this.exitCode, this.signalCode);
      if (this.eofs === 2) this.emit('close', this.exitCode, this.signalCode);
    }
  }
}

/** A running guest. Always `shutdown()` it (finally / afterAll). */
export class GuestVm implements Machine {
  readonly label: string;
  private readonly procs = new Map<number, GuestProcess>();
  private nextId = 1;
  private socket: Socket | null = null;
  private console = '';
  /** Why the guest is gone, once qemu has exited: later requests fail at once. */
  private gone: string | null = null;

  private constructor(
    private readonly runDir: string,
    readonly sharedTmp: string,
    private readonly qemu: ChildProcess,
    private readonly server: Server,
    readonly kernel: GuestKernel,
    readonly accel: 'kvm' | 'tcg',
  ) {
    this.label = `guest ${kernel.version}`;
    if (process.env.NWFS_GUEST_DEBUG) qemu.stdout?.pipe(process.stderr);
    // A guest that is gone fails whatever still waits on it.
    qemu.once('exit', (code, signal) => {
      this.gone = `the guest stopped (qemu ${signal ?? code})`;
      const e = new Error(`${this.gone}\n${this.console}`);
      for (const p of this.procs.values()) p.event({ ev: 'error', message: e.message });
    });
    qemu.stdout?.on(
      'data',
      (b: Buffer) => (this.console = (this.console + b.toString()).slice(-20_000)),
    );
    qemu.stderr?.on(
      'data',
      (b: Buffer) => (this.console = (this.console + b.toString()).slice(-20_000)),
    );
  }

  /** The last 20 kB the guest's console and qemu printed (for reports when something fails). */
  get consoleTail(): string {
    return this.console;
  }

  static async boot(o: BootOptions): Promise<GuestVm> {
    const runDir = mkdtempSync(join(tmpdir(), 'nwfs-guest-'));
    const shared = join(runDir, 'shared');
    mkdirSync(shared);
    const initrd = join(runDir, 'initrd.cpio');
    await buildInitramfs(o.kernel, join(runDir, 'initramfs'), initrd, shared);
    const sock = join(runDir, 'agent.sock');
    const server = createServer();
    await new Promise<void>((res, rej) => server.listen(sock, res).once('error', rej));
    const connected = new Promise<Socket>((res) => server.once('connection', res));
    const { accel, why } = chooseAccel();
    o.log(`guest-kernel: booting ${o.kernel.pkg} under qemu (${accel}: ${why})`);
    // setpriv execs qemu (same PID) with a parent-death signal: if this test process dies
    // without its teardown (killed, timed out), the kernel kills the guest with it.
    const qemu = spawn(
      '/usr/bin/setpriv',
      [
        ...['--pdeathsig', 'KILL', o.qemu],
        ...(accel === 'kvm'
          ? ['-enable-kvm', '-cpu', 'host']
          : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
        ...['-m', String(o.memoryMb ?? 2048), '-smp', String(o.cpus ?? 2)],
        ...[
          '-nodefaults',
          '-no-reboot',
          '-display',
          'none',
          '-monitor',
          'none',
          '-serial',
          'stdio',
        ],
        ...['-kernel', o.kernel.vmlinuz, '-initrd', initrd],
        ...['-append', 'console=ttyS0 panic=-1 quiet'],
        // No network device: the namespaces the suites build live inside the guest.
        ...['-nic', 'none'],
        ...[
          '-virtfs',
          'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
        ],
        ...['-virtfs', `local,path=${shared},mount_tag=nwfsshared,security_model=none`],
        ...['-device', 'virtio-serial-pci', '-chardev', `socket,id=agent,path=${sock}`],
        ...['-device', 'virtserialport,chardev=agent,name=nwfs.agent'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const vm = new GuestVm(runDir, shared, qemu, server, o.kernel, accel);
    const killOnExit = () => {
      if (qemu.pid !== undefined && qemu.exitCode === null) process.kill(qemu.pid, 'SIGKILL');
    };
    process.once('exit', killOnExit);
    qemu.once('exit', () => process.off('exit', killOnExit));
    const timeout = o.bootTimeoutMs ?? 300_000;
    try {
      const exited = new Promise<never>((_, rej) =>
        qemu.once('exit', (code) => rej(new Error(`qemu exited (${code}) during the boot`))),
      );
      const timer = new Promise<never>((_, rej) =>
        setTimeout(
          () => rej(new Error(`the guest did not boot in ${timeout / 1000} s`)),
          timeout,
        ).unref(),
      );
      const socket = await Promise.race([connected, exited, timer]);
      vm.attach(socket);
      const ready = new Promise<void>((res) => vm.once('ready', res));
      await Promise.race([ready, exited, timer]);
    } catch (e) {
      await vm.shutdown();
      throw new Error(`${(e as Error).message}\n--- guest console ---\n${vm.consoleTail}`, {
        cause: e,
      });
    }
    return vm;
  }

  private readyListeners: (() => void)[] = [];
  private once(_: 'ready', fn: () => void): void {
    this.readyListeners.push(fn);
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as AgentEvent;
        if (e.ev === 'ready') this.readyListeners.splice(0).forEach((f) => f());
        const p = e.id !== undefined ? this.procs.get(e.id) : undefined;
        if (!p) continue;
        p.event(e);
      }
    });
    socket.on('error', () => undefined);
  }

  /** @internal */
  send(msg: object): void {
    if (this.gone) {
      const id = (msg as { id?: number }).id;
      const p = id !== undefined ? this.procs.get(id) : undefined;
      if (p) queueMicrotask(() => p.event({ ev: 'error', message: this.gone ?? '' }));
      return;
    }
    this.socket?.write(JSON.stringify(msg) + '\n');
  }

  spawn(cmd: string, args: readonly string[]): MachineProcess {
    const id = this.nextId++;
    const p = new GuestProcess(id, this);
    this.procs.set(id, p);
    p.once('close', () => this.procs.delete(id));
    p.once('error', () => this.procs.delete(id));
    this.send({ op: 'spawn', id, cmd, args });
    return p;
  }

  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    if (process.env.NWFS_GUEST_DEBUG) {
      const t = Date.now();
      const line = `${cmd} ${args.join(' ')}`.slice(0, 120);
      return this.runNow(cmd, args, opts).finally(() =>
        console.error(`guest: ${Date.now() - t} ms  ${line}`),
      );
    }
    return this.runNow(cmd, args, opts);
  }

  private runNow(cmd: string, args: readonly string[], opts: RunOptions): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const p = new GuestProcess(id, this);
      this.procs.set(id, p);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (b: Buffer) => out.push(b));
      p.stderr.on('data', (b: Buffer) => err.push(b));
      const timer = opts.timeoutMs
        ? setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs)
        : undefined;
      p.once('error', (e: Error) => {
        if (timer) clearTimeout(timer);
        this.procs.delete(id);
        reject(e);
      });
      p.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        if (timer) clearTimeout(timer);
        this.procs.delete(id);
        const res: CommandResult = {
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        };
        if (res.code !== 0 && !opts.allowFailure)
          reject(
            new Error(
              `${cmd} ${args.join(' ')} exited ${res.code}${signal ? ` (${signal})` : ''} in the ${this.label}\n${res.stdout}${res.stderr}`,
            ),
          );
        else resolve(res);
      });
      const env = opts.env
        ? Object.fromEntries(
            Object.entries(opts.env).filter(([k, v]) => v !== undefined && process.env[k] !== v),
          )
        : undefined;
      this.send({
        op: 'spawn',
        id,
        cmd,
        args,
        ...(env ? { env } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      });
      p.stdin.end(opts.input ?? '');
    });
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    await this.run('kill', [`-${SIGNALS[signal] ?? 15}`, String(pid)], { allowFailure: true });
  }

  /** Powers the guest off (the agent's sysrq), then kills qemu by its PID if it lingers. */
  async shutdown(): Promise<void> {
    const q = this.qemu;
    if (q.exitCode === null && q.signalCode === null) {
      const gone = new Promise<void>((r) => q.once('exit', () => r()));
      this.send({ op: 'poweroff' });
      const t = setTimeout(() => {
        if (q.pid !== undefined && q.exitCode === null) process.kill(q.pid, 'SIGKILL');
      }, 15_000);
      await gone;
      clearTimeout(t);
    }
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

/**
 * The initramfs: busybox, the modules BOOT_MODULES need, and an init that mounts the host's
 * root (9p, read-only) under a tmpfs overlay, the shared folder at its host path and the
 * kernel's modules at /lib/modules/<release>, then starts the agent in the new root.
 */
async function buildInitramfs(
  kernel: GuestKernel,
  dir: string,
  out: string,
  shared: string,
): Promise<void> {
  const mods = join(dir, 'lib', 'modules', kernel.release);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(kernel.busybox, join(dir, 'bin', 'busybox'));
  const files = moduleClosure(kernel.modulesDir, BOOT_MODULES);
  for (const f of files) {
    mkdirSync(dirname(join(mods, f)), { recursive: true });
    copyFileSync(join(kernel.modulesDir, f), join(mods, f));
  }
  const depOf = new Map(
    readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8')
      .split('\n')
      .map((l) => [l.split(':')[0], l] as const),
  );
  writeFileSync(join(mods, 'modules.dep'), files.map((f) => depOf.get(f)).join('\n') + '\n');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const init = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "guest init: $*"; echo o > /proc/sysrq-trigger; sleep 30; }
mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${BOOT_MODULES.join(' ')}; do modprobe $m || fail "modprobe $m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || fail "9p root"
mount -t tmpfs -o size=1g tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail overlay
N=/newroot
mount -t tmpfs tmpfs $N/run; mount -t tmpfs tmpfs $N/tmp
mkdir -p $N/nwfs-guest/bin $N${q(shared)} $N/lib/modules/${kernel.release}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 nwfsshared $N${q(shared)} || fail "9p shared"
mount -o bind $N${q(kernel.modulesDir)} $N/lib/modules/${kernel.release} || fail "modules"
cp /bin/busybox $N/nwfs-guest/bin/busybox
for a in modprobe insmod lsmod; do ln -s busybox $N/nwfs-guest/bin/$a; done
mount --move /proc $N/proc; mount --move /sys $N/sys; mount --move /dev $N/dev
mkdir -p $N/dev/pts; mount -t devpts devpts $N/dev/pts
cat > $N/nwfs-guest/stage2 <<'STAGE2'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/nwfs-guest/bin HOME=/root
echo /nwfs-guest/bin/modprobe > /proc/sys/kernel/modprobe
for m in ${GUEST_MODULES.join(' ')}; do /nwfs-guest/bin/modprobe $m || echo "guest: modprobe $m failed"; done
dev=
for p in /sys/class/virtio-ports/*; do [ "$(cat $p/name)" = nwfs.agent ] && dev=/dev/\${p##*/}; done
python3 ${q(AGENT)} "$dev" || echo "guest: the agent ended ($?)"
echo o > /proc/sysrq-trigger
sleep 30
STAGE2
exec switch_root $N /nwfs-guest/bin/busybox sh /nwfs-guest/stage2
`;
  writeFileSync(join(dir, 'init'), init);
  chmodSync(join(dir, 'init'), 0o755);
  const bb = join(dir, 'bin', 'busybox');
  await runCommand('sh', [
    '-c',
    `cd ${q(dir)} && ${q(bb)} find . | ${q(bb)} cpio -o -H newc > ${q(out)} 2>/dev/null`,
  ]);
}
