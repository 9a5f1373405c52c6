#!/usr/bin/env python3
"""Raw frame injection and capture for the kernel differential suite.

Opens AF_PACKET sockets on interfaces of named network namespaces (entered with setns, so one
process serves several namespaces) and records every frame they see, with the kernel's receive
timestamp and the packet type (outgoing or not). Python's standard library only.

  frame-io.py inject --port NAME=NETNS:IFACE ... [--linger-ms N]
      stdin: one JSON object per line {"port": NAME, "hex": "...", "at": SECONDS}; frames are sent
      in order on the port's socket, frame i not before `at` seconds after the start. Every frame
      seen on any port meanwhile (and for --linger-ms after the last send) is recorded.
  frame-io.py capture --port NAME=NETNS:IFACE ...
      records until a line "stop" arrives on stdin.
  frame-io.py serve [--control NETNS] [--cpu N] --port NAME=NETNS:IFACE ...
      keeps the sockets open; each stdin line is one batch {"frames": [...], "linger_ms": N} run
      like `inject` (frames queued before the batch are discarded), answered by one JSON line.
      With --control, a line {"op": ...} is a request about that namespace (the test bed's host),
      answered by one JSON line, {"error": "..."} when it failed — what the suite would otherwise
      start conntrack, nft and sysctl for, once per scenario (each program start costs a guest
      kernel under TCG a good part of a second):
        {"op": "prepare", "sysctl": {NAME: VALUE}}  empties the conntrack table and its
            expectations (conntrack -F; conntrack -F expect), writes net.netfilter.NAME
        {"op": "sysctl", "names": [NAME]}           reads net.netfilter.NAME -> {"values": {...}}
        {"op": "conntrack"}   -> {"table": [line], "expect": [line]}: `conntrack -L -o extended`
            and `conntrack -L expect`, formatted by the same library function conntrack calls
        {"op": "nft", "script": TEXT}  -> {"ok": bool, "stderr": TEXT}: `nft -f FILE` in-process
            (libnftables, the library nft is a front end of)
      and about any namespace of the bed:
        {"op": "ports", "ports": {NAME: "NETNS:IFACE"}}  opens more sockets, as --port does
        {"op": "write-sysctls", "netns": NETNS, "values": {"net.ipv6.conf.all.disable_ipv6": 1}}
        {"op": "listening", "netns": NETNS, "port": N, "timeout_ms": T}  -> {"ok": bool}: waits
            for a TCP socket listening on the port (/proc/net/tcp, tcp6)
      --cpu pins the helper (and the frames it sends) to one CPU.

Both print "ready" once the sockets are bound, then, at the end, one JSON object:
  {"sent": [{"i", "t"}], "seen": [{"port", "t", "out", "hex"}]}
`t` is seconds (float, CLOCK_REALTIME, ns precision from SO_TIMESTAMPNS); `out` is true for frames
the interface transmitted (PACKET_OUTGOING), false for frames it received.
"""
import ctypes
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
SOL_PACKET = 263
PACKET_OUTGOING = 4
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def open_port(netns, iface):
    enter_netns(netns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind((iface, 0))
    s.setblocking(False)
    return s


def drain(sock, name, seen):
    while True:
        try:
            data, anc, _flags, addr = sock.recvmsg(65536, 64)
        except BlockingIOError:
            return
        t = None
        for level, typ, payload in anc:
            if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(payload) >= 16:
                sec, nsec = struct.unpack("qq", payload[:16])
                t = sec + nsec / 1e9
        now = time.time()
        # A timestamp far from now is not wall-clock time (e.g. a TCP pacing stamp): use now.
        if t is None or abs(t - now) > 60:
            t = now
        seen.append({"port": name, "t": t, "out": addr[2] == PACKET_OUTGOING, "hex": data.hex()})


def wait_and_drain(ports, seen, timeout):
    if timeout < 0:
        timeout = 0
    socks = [s for s, _ in ports.values()]
    r, _, _ = select.select(socks, [], [], timeout)
    for name, (s, _) in ports.items():
        if s in r:
            drain(s, name, seen)


class Control:
    """Requests about one namespace, through the libraries conntrack and nft are front ends of
    (loaded on first use: libnetfilter_conntrack, libnftables), so that their output is theirs."""

    CONNTRACK, EXPECT = 1, 2  # nfct_open subsystems (NFNL_SUBSYS_CTNETLINK, _EXP)
    Q_FLUSH, Q_DUMP = 4, 5  # enum nf_conntrack_query
    T_ALL = 7  # NFCT_T_NEW | NFCT_T_UPDATE | NFCT_T_DESTROY
    OF_SHOW_LAYER3 = 1  # what `conntrack -o extended` adds to the default output

    def __init__(self, netns):
        # Opened on first use: the helper may start while its namespaces are being made.
        self.netns = netns
        self.ct = None
        self.nft = None

    def enter(self, netns=None):
        enter_netns(netns or self.netns)

    def lib_ct(self):
        if self.ct is None:
            c = ctypes.CDLL("libnetfilter_conntrack.so.3", use_errno=True)
            p, u, i = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
            self.cb_type = ctypes.CFUNCTYPE(i, i, p, p)
            c.nfct_open.restype = p
            c.nfct_open.argtypes = [ctypes.c_uint8, u]
            c.nfct_close.argtypes = [p]
            for f in ("nfct_callback_register", "nfexp_callback_register"):
                getattr(c, f).argtypes = [p, i, self.cb_type, p]
            for f in ("nfct_query", "nfexp_query"):
                getattr(c, f).argtypes = [p, i, p]
            for f in ("nfct_snprintf", "nfexp_snprintf"):
                getattr(c, f).argtypes = [ctypes.c_char_p, u, p, u, u, u]
            self.ct = c
        return self.ct

    def ct_query(self, expect, query):
        """One conntrack query on a fresh handle (AF_UNSPEC: both families, as conntrack's
        default); a dump's entries as text."""
        c = self.lib_ct()
        h = c.nfct_open(self.EXPECT if expect else self.CONNTRACK, 0)
        if not h:
            raise OSError(ctypes.get_errno(), "nfct_open")
        lines = []
        buf = ctypes.create_string_buffer(8192)

        def each(_type, obj, _data):
            if expect:
                c.nfexp_snprintf(buf, len(buf), obj, 0, 0, 0)
            else:
                c.nfct_snprintf(buf, len(buf), obj, 0, 0, self.OF_SHOW_LAYER3)
            lines.append(buf.value.decode())
            return 1  # NFCT_CB_CONTINUE

        cb = self.cb_type(each)
        try:
            if query == self.Q_DUMP:
                reg = c.nfexp_callback_register if expect else c.nfct_callback_register
                reg(h, self.T_ALL, cb, None)
            family = ctypes.c_uint32(socket.AF_UNSPEC)
            q = c.nfexp_query if expect else c.nfct_query
            if q(h, query, ctypes.byref(family)) != 0:
                err = ctypes.get_errno()
                what = "dump" if query == self.Q_DUMP else "flush"
                raise OSError(err, f"conntrack {what}{' expect' if expect else ''}: {os.strerror(err)}")
        finally:
            c.nfct_close(h)
        return lines

    def lib_nft(self):
        if self.nft is None:
            n = ctypes.CDLL("libnftables.so.1")
            p = ctypes.c_void_p
            n.nft_ctx_new.restype = p
            n.nft_ctx_new.argtypes = [ctypes.c_uint32]
            for f in ("nft_ctx_buffer_output", "nft_ctx_buffer_error", "nft_ctx_free"):
                getattr(n, f).argtypes = [p]
            n.nft_run_cmd_from_filename.argtypes = [p, ctypes.c_char_p]
            n.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
            n.nft_ctx_get_error_buffer.argtypes = [p]
            self.nft = n
        return self.nft

    def nft_file(self, script):
        """`nft -f FILE`: the whole file in one transaction, refused whole, nft's messages."""
        n = self.lib_nft()
        path = f"/tmp/.nwfs-frame-io-{os.getpid()}.nft"
        with open(path, "w") as f:
            f.write(script)
        ctx = n.nft_ctx_new(0)
        try:
            n.nft_ctx_buffer_output(ctx)
            n.nft_ctx_buffer_error(ctx)
            rc = n.nft_run_cmd_from_filename(ctx, path.encode())
            err = (n.nft_ctx_get_error_buffer(ctx) or b"").decode()
        finally:
            n.nft_ctx_free(ctx)
            os.unlink(path)
        # As `nft -f -` names its input, which the suite's reports quote.
        return {"ok": rc == 0, "stderr": err.replace(path, "/dev/stdin")}

    def handle(self, req, ports):
        op = req["op"]
        if op == "ports":
            for name, spec in req["ports"].items():
                netns, iface = spec.split(":", 1)
                ports[name] = (open_port(netns, iface), iface)
            return {"ok": True}
        if op == "write-sysctls":
            # Any namespace of the bed: {"netns", "values": {"net.ipv6.conf.all.disable_ipv6": 1}}
            self.enter(req["netns"])
            for name, value in req["values"].items():
                with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
                    f.write(f"{value}\n")
            return {"ok": True}
        if op == "listening":
            # Whether a TCP socket listens on the port in that namespace, waiting up to timeout_ms.
            self.enter(req["netns"])
            want = f":{int(req['port']):04X}"
            end = time.monotonic() + req.get("timeout_ms", 5000) / 1000
            while True:
                for table in ("/proc/net/tcp", "/proc/net/tcp6"):
                    try:
                        with open(table) as f:
                            rows = [l.split() for l in f.readlines()[1:]]
                    except FileNotFoundError:
                        rows = []
                    if any(r[1].endswith(want) and r[3] == "0A" for r in rows):  # TCP_LISTEN
                        return {"ok": True}
                if time.monotonic() >= end:
                    return {"ok": False}
                time.sleep(0.05)
        self.enter()
        if op == "prepare":
            self.ct_query(False, self.Q_FLUSH)
            self.ct_query(True, self.Q_FLUSH)
            for name, value in (req.get("sysctl") or {}).items():
                with open(f"/proc/sys/net/netfilter/{name}", "w") as f:
                    f.write(f"{value}\n")
            return {"ok": True}
        if op == "sysctl":
            values = {}
            for name in req["names"]:
                with open(f"/proc/sys/net/netfilter/{name}") as f:
                    values[name] = f.read().strip()
            return {"values": values}
        if op == "conntrack":
            return {"table": self.ct_query(False, self.Q_DUMP), "expect": self.ct_query(True, self.Q_DUMP)}
        if op == "nft":
            return self.nft_file(req["script"])
        raise ValueError(f"unknown op {op}")


OPPOSITE = {"vm": "peer", "peer": "vm"}


def delivered(ports, f, sent_at, seen, used, grace):
    """Whether frame f (already sent) arrived on the other port; waits up to `grace` after its send.
    A veth delivers within send() itself, so what is late is this process: descheduled on a
    loaded machine, it may wake after the grace with the copy already queued on its socket. The
    queue is drained before a frame is called lost."""
    want = (OPPOSITE[f["port"]], f["hex"])
    last = False
    while True:
        for k, x in enumerate(seen):
            if k not in used and not x["out"] and (x["port"], x["hex"]) == want:
                used.add(k)
                return True
        if last:
            return False
        left = sent_at + grace - time.monotonic()
        if left <= 0:
            last = True
            left = 0
        wait_and_drain(ports, seen, left)


def run_batch(ports, frames, linger, seen, sent, grace=0.05):
    """Sends frames in order; a frame whose `requires` were not all delivered is skipped, as the
    peer that would send it never received what it answers; so is a frame one of whose `unless`
    frames was delivered (the peer took another answer instead)."""
    start = time.monotonic()
    # The scenario's spacing is kept between actual sends: when the injector is descheduled (a
    # loaded machine) and sends a frame late, the next one still waits its full gap after it,
    # instead of following at once into the same jiffy (nf_conncount GCs once per jiffy).
    prev_at = 0.0
    prev_sent = start
    sent_at = {}
    fate = {}
    used = set()
    skipped = []
    for idx, f in enumerate(frames):
        req = f.get("requires") or []
        unless = f.get("unless") or []
        ok = True
        for r in list(req) + list(unless):
            if r not in fate:
                fate[r] = r in sent_at and delivered(ports, frames[r], sent_at[r], seen, used, grace)
        ok = all(fate[r] for r in req) and not any(fate[r] for r in unless)
        if not ok:
            skipped.append(idx)
            continue
        at = float(f.get("at", 0))
        due = max(start + at, prev_sent + max(0.0, at - prev_at))
        while True:
            left = due - time.monotonic()
            if left <= 0:
                break
            wait_and_drain(ports, seen, left)
        ports[f["port"]][0].send(bytes.fromhex(f["hex"]))
        sent_at[idx] = time.monotonic()
        prev_at, prev_sent = at, sent_at[idx]
        sent.append({"i": idx, "t": time.time()})
    end = time.monotonic() + linger
    while time.monotonic() < end:
        wait_and_drain(ports, seen, end - time.monotonic())
    return skipped


def main(argv):
    mode = argv[0]
    ports = {}
    linger = 0.15
    control = None
    i = 1
    while i < len(argv):
        if argv[i] == "--control":
            control = Control(argv[i + 1])
            i += 2
        elif argv[i] == "--cpu":
            os.sched_setaffinity(0, {int(argv[i + 1])})
            i += 2
        elif argv[i] == "--port":
            name, spec = argv[i + 1].split("=", 1)
            netns, iface = spec.split(":", 1)
            ports[name] = (open_port(netns, iface), iface)
            i += 2
        elif argv[i] == "--linger-ms":
            linger = int(argv[i + 1]) / 1000
            i += 2
        else:
            raise SystemExit(f"frame-io: unknown argument {argv[i]}")
    seen = []
    sent = []
    if mode == "inject":
        frames = [json.loads(line) for line in sys.stdin if line.strip()]
        print("ready", flush=True)
        run_batch(ports, frames, linger, seen, sent)
    elif mode == "serve":
        print("ready", flush=True)
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            if not line.strip():
                continue
            batch = json.loads(line)
            if "op" in batch:
                try:
                    if control is None:
                        raise ValueError("no --control namespace")
                    answer = control.handle(batch, ports)
                except Exception as e:  # one failed request is reported, the helper keeps serving
                    answer = {"error": f"{type(e).__name__}: {e}"}
                if control is not None:
                    # Back home: `ip netns pids` of an endpoint's namespace must not list this
                    # helper (the suite kills whatever it lists there).
                    try:
                        control.enter()
                    except OSError:
                        pass
                sys.stdout.write(json.dumps(answer) + "\n")
                sys.stdout.flush()
                continue
            stale = []
            wait_and_drain(ports, stale, 0)
            seen, sent = [], []
            skipped = run_batch(ports, batch["frames"], batch.get("linger_ms", 100) / 1000, seen, sent)
            seen.sort(key=lambda x: x["t"])
            sys.stdout.write(json.dumps({"sent": sent, "seen": seen, "skipped": skipped}) + "\n")
            sys.stdout.flush()
        return
    elif mode == "capture":
        print("ready", flush=True)
        stdin = sys.stdin.fileno()
        socks = [s for s, _ in ports.values()]
        buf = b""
        while True:
            r, _, _ = select.select(socks + [stdin], [], [], 1.0)
            for name, (s, _) in ports.items():
                if s in r:
                    drain(s, name, seen)
            if stdin in r:
                chunk = os.read(stdin, 1024)
                buf += chunk
                if not chunk or b"stop" in buf:
                    break
        # frames still queued when "stop" arrived
        wait_and_drain(ports, seen, 0.05)
    else:
        raise SystemExit(f"frame-io: unknown mode {mode}")
    seen.sort(key=lambda x: x["t"])
    json.dump({"sent": sent, "seen": seen}, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
