/**
 * Debian's kernel for the guest runner, unpacked into a cache folder the project owns
 * (`.cache/guest-kernel/<package>`, gitignored): `apt-get download` + `dpkg-deb -x`, never
 * installed into the host system. busybox-static (the initramfs's tools, and `depmod`, which
 * writes the modules.dep / modules.alias the guest's `modprobe` reads) comes the same way.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../lib/run-command';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
const CACHE = join(REPO_ROOT, '.cache', 'guest-kernel');
const QEMU = '/usr/bin/qemu-system-x86_64';
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const LOCK = ['-o', 'DPkg::Lock::Timeout=600'];

/** An unpacked guest kernel. */
export interface GuestKernel {
  /** Debian's package, e.g. `linux-image-6.1.0-57-amd64`. */
  pkg: string;
  /** The upstream version, e.g. `6.1.192` (from the package version `6.1.192-3`). */
  version: string;
  /** `uname -r`, e.g. `6.1.0-57-amd64`. */
  release: string;
  vmlinuz: string;
  /** `lib/modules/<release>`, with modules.dep and modules.alias. */
  modulesDir: string;
  busybox: string;
}

/** Installs qemu-system-x86 (Debian's, without recommends) when it is missing. */
export async function ensureQemu(log: (s: string) => void): Promise<string> {
  if (existsSync(QEMU)) return QEMU;
  log('guest-kernel: installing qemu-system-x86 with apt-get');
  await runCommand('apt-get', [...LOCK, 'update'], { env: APT_ENV, timeoutMs: 900_000 });
  await runCommand(
    'apt-get',
    ['install', '-y', '--no-install-recommends', ...LOCK, 'qemu-system-x86'],
    { env: APT_ENV, timeoutMs: 900_000 },
  );
  if (!existsSync(QEMU))
    throw new Error(`apt-get installed qemu-system-x86 but ${QEMU} is missing`);
  return QEMU;
}

/**
 * The kernel package `linux-image-amd64` depends on (bookworm: 6.1.x), or
 * $NWFS_GUEST_KERNEL_PACKAGE. Runs `apt-get update` once when apt knows no such package.
 */
async function kernelPackage(): Promise<string> {
  const wanted = process.env.NWFS_GUEST_KERNEL_PACKAGE;
  if (wanted) return wanted;
  const ask = async () => {
    const r = await runCommand('apt-cache', ['depends', 'linux-image-amd64'], {
      allowFailure: true,
    });
    return /Depends: (linux-image-[\w.+-]+)/.exec(r.stdout)?.[1] ?? null;
  };
  let pkg = await ask();
  if (!pkg) {
    await runCommand('apt-get', [...LOCK, 'update'], { env: APT_ENV, timeoutMs: 900_000 });
    pkg = await ask();
  }
  if (!pkg) throw new Error('guest-kernel: apt knows no linux-image-amd64 (not Debian?)');
  return pkg;
}

/** Downloads and unpacks the kernel and busybox once; later runs find them in the cache. */
export async function prepareGuestKernel(log: (s: string) => void): Promise<GuestKernel> {
  const pkg = await kernelPackage();
  const dir = join(CACHE, pkg);
  const info = join(dir, 'kernel.json');
  if (existsSync(info)) return JSON.parse(readFileSync(info, 'utf8')) as GuestKernel;

  log(`guest-kernel: downloading ${pkg} and busybox-static into ${CACHE}`);
  const tmp = join(CACHE, `.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await runCommand('apt-get', ['download', pkg, 'busybox-static'], {
      cwd: tmp,
      env: APT_ENV,
      timeoutMs: 900_000,
    });
    const debs = readdirSync(tmp).filter((f) => f.endsWith('.deb'));
    const kernelDeb = debs.find((f) => f.startsWith('linux-image-'));
    const busyboxDeb = debs.find((f) => f.startsWith('busybox-static'));
    if (!kernelDeb || !busyboxDeb)
      throw new Error(`guest-kernel: apt-get download left ${debs.join(', ') || 'nothing'}`);
    const pkgVersion = (
      await runCommand('dpkg-deb', ['-f', join(tmp, kernelDeb), 'Version'])
    ).stdout.trim();
    await runCommand('dpkg-deb', ['-x', join(tmp, kernelDeb), join(tmp, 'kernel')]);
    await runCommand('dpkg-deb', ['-x', join(tmp, busyboxDeb), join(tmp, 'busybox')]);
    const release = readdirSync(join(tmp, 'kernel', 'lib', 'modules'))[0];
    if (!release) throw new Error(`guest-kernel: ${kernelDeb} has no lib/modules`);
    const busybox = join(tmp, 'busybox', 'bin', 'busybox');
    await runCommand(busybox, ['depmod', '-b', join(tmp, 'kernel'), release]);
    for (const f of debs) rmSync(join(tmp, f));
    rmSync(join(tmp, 'kernel', 'usr'), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    const kernel: GuestKernel = {
      pkg,
      version: pkgVersion.replace(/-[^-]*$/, ''),
      release,
      vmlinuz: join(dir, 'kernel', 'boot', `vmlinuz-${release}`),
      modulesDir: join(dir, 'kernel', 'lib', 'modules', release),
      busybox: join(dir, 'busybox', 'bin', 'busybox'),
    };
    writeFileSync(info, JSON.stringify(kernel, null, 2) + '\n');
    return kernel;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The modules `names` need, dependencies first (modules.dep). */
export function moduleClosure(modulesDir: string, names: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const [file, rest] = line.split(':');
    if (file && rest !== undefined) deps.set(file, rest.trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map(
    [...deps.keys()].map((f) => [f.replace(/^.*\//, '').replace(/\.ko(\.\w+)?$/, ''), f]),
  );
  const out: string[] = [];
  const visit = (file: string) => {
    if (out.includes(file)) return;
    for (const d of deps.get(file) ?? []) visit(d);
    out.push(file);
  };
  for (const n of names) {
    const file = byName.get(n) ?? byName.get(n.replace(/-/g, '_'));
    if (!file) throw new Error(`guest-kernel: no module ${n} in ${modulesDir}`);
    visit(file);
  }
  return out;
}
