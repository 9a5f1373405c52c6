#!/bin/bash
# Runs inside the suite's network namespace and a private mount namespace (see
# lib/libvirt-daemon.ts). Overlays /etc, /var and /run so libvirtd writes only below STATE,
# points the firewall tools' alternatives links at the namespace-redirecting wrappers, and
# execs libvirtd with only the nwfilter driver (the qemu driver would need the libvirt-qemu user).
set -eu
S=$1
for d in etc var run; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$S/$d.up,workdir=$S/$d.wk" "/$d"
done
for t in iptables ip6tables ebtables; do
  ln -sfn "$S/wrap/$t" "/etc/alternatives/$t"
done
export LIBVIRT_DRIVER_DIR=$S/drivers
exec /usr/sbin/libvirtd -f "$S/libvirtd.conf" -p "$S/libvirtd.pid" >"$S/log/stdout.log" 2>&1
