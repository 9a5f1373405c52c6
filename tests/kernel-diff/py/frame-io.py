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
  frame-io.py serve --port NAME=NETNS:IFACE ...
      keeps the sockets open; each stdin line is one batch {"frames": [...], "linger_ms": N} run
      like `inject` (frames queued before the batch are discarded), answered by one JSON line.

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
    i = 1
    while i < len(argv):
        if argv[i] == "--port":
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
