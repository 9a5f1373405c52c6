/**
 * The guest runner itself (./README.md): Debian's kernel boots under qemu with the host's root
 * shared read-only, the agent runs programs in it, and it has what the nftables kernel
 * differential needs: nf_conntrack_bridge, so the kernel accepts `ct` rules in a bridge table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePackages } from '../kernel-diff/lib/testbed';
import { whyGuestUnavailable } from './lib/availability';
import { ensureQemu, prepareGuestKernel, REPO_ROOT } from './lib/guest-kernel';
import { GuestVm } from './lib/guest-vm';

const unavailable = whyGuestUnavailable();
if (unavailable) {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! guest-kernel runner SKIPPED: ${unavailable}.\n${bar}\n`);
}

describe.skipIf(unavailable !== null)('guest kernel runner', () => {
  let vm: GuestVm;
  let bootMs = 0;

  beforeAll(async () => {
    const log = (s: string) => console.log(s);
    // The guest runs the host's own tools (its root is the host's): python3 for the agent, nft …
    await ensurePackages(log);
    const qemu = await ensureQemu(log);
    const kernel = await prepareGuestKernel(log);
    const t0 = Date.now();
    vm = await GuestVm.boot({ qemu, kernel, log });
    bootMs = Date.now() - t0;
    console.log(
      `guest-kernel: ${vm.label} (${vm.accel}) booted in ${(bootMs / 1000).toFixed(1)} s`,
    );
  });

  afterAll(async () => {
    await vm?.shutdown();
  });

  it("runs Debian's kernel, not the host's", async () => {
    const r = await vm.run('uname', ['-r']);
    expect(r.stdout.trim()).toBe(vm.kernel.release);
  });

  it('sees the host root read-only, and the shared folder read-write', async () => {
    const file = join(REPO_ROOT, 'package.json');
    expect((await vm.run('cat', [file])).stdout).toBe(readFileSync(file, 'utf8'));
    // The overlay takes the write; the host's file is untouched.
    await vm.run('sh', ['-c', `echo guest >> ${file}`]);
    expect(readFileSync(file, 'utf8')).not.toContain('guest\n');
    await vm.run('sh', ['-c', `echo from-the-guest > ${join(vm.sharedTmp, 'probe')}`]);
    expect(readFileSync(join(vm.sharedTmp, 'probe'), 'utf8')).toBe('from-the-guest\n');
    writeFileSync(join(vm.sharedTmp, 'probe2'), 'from-the-host\n');
    expect((await vm.run('cat', [join(vm.sharedTmp, 'probe2')])).stdout).toBe('from-the-host\n');
  });

  it('has no network device but lo', async () => {
    const r = await vm.run('ip', ['-o', 'link']);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]?.trim()),
    ).toEqual(['lo']);
  });

  it('has nf_conntrack_bridge: a bridge-family ct state rule loads', async () => {
    const lsmod = await vm.run('cat', ['/proc/modules']);
    expect(lsmod.stdout).toMatch(/^nf_conntrack_bridge /m);
    const table =
      'table bridge nwfs_probe {\n\tchain p {\n\t\ttype filter hook prerouting priority 0; policy accept;\n\t\tether type ip ct state established accept\n\t}\n}\n';
    const r = await vm.run('unshare', ['--net', '--', 'nft', '-f', '-'], {
      input: table,
      allowFailure: true,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('streams stdin and stdout of a long-running program and stops it by signal', async () => {
    const p = vm.spawn('cat', []);
    const got = new Promise<string>((res) =>
      p.stdout?.once('data', (b: Buffer) => res(b.toString())),
    );
    p.stdin?.write('ping\n');
    expect(await got).toBe('ping\n');
    const exited = new Promise<unknown>((res) => p.once('exit', (_c, s) => res(s)));
    p.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
  });
});
