#!/usr/bin/env python3
"""The guest's command agent (tests/guest-kernel): runs the programs the host asks for.

The test process stays on the host (node under an emulated CPU is far too slow); only the
programs that talk to the kernel run here. One virtio-serial port carries JSON lines:

  host -> guest  {"op": "spawn", "id", "cmd", "args", "env"?, "cwd"?}
                 {"op": "stdin", "id", "data": base64}   {"op": "eof", "id"}
                 {"op": "kill", "id", "signal"}            {"op": "poweroff"}
  guest -> host  {"ev": "ready", "release"}  {"ev": "spawned", "id", "pid"}
                 {"ev": "error", "id", "message"}  {"ev": "out", "id", "fd", "data": base64}
                 {"ev": "eof", "id", "fd"}  {"ev": "exit", "id", "code", "signal"}

Usage: agent.py PORT_DEVICE
"""
import base64
import json
import os
import selectors
import signal
import subprocess
import sys


def main() -> None:
    port = os.open(sys.argv[1], os.O_RDWR)
    sel = selectors.DefaultSelector()
    sel.register(port, selectors.EVENT_READ, ("port", None, None))
    procs: dict[int, subprocess.Popen] = {}
    pending_in: dict[int, bytearray] = {}
    closing_in: set[int] = set()
    open_pipes: dict[int, int] = {}
    exited: set[int] = set()
    buf = b""

    def send(msg: dict) -> None:
        data = (json.dumps(msg) + "\n").encode()
        while data:
            n = os.write(port, data)
            data = data[n:]

    def flush_stdin(pid_id: int) -> None:
        p = procs.get(pid_id)
        if p is None or p.stdin is None:
            return
        data = pending_in.get(pid_id, bytearray())
        try:
            while data:
                n = os.write(p.stdin.fileno(), data)
                del data[:n]
        except BlockingIOError:
            pass
        except (BrokenPipeError, OSError):
            data.clear()
        if not data and pid_id in closing_in:
            closing_in.discard(pid_id)
            try:
                p.stdin.close()
            except OSError:
                pass

    def handle(msg: dict) -> None:
        op = msg.get("op")
        if op == "poweroff":
            for p in procs.values():
                try:
                    p.kill()
                except OSError:
                    pass
            os.sync()
            with open("/proc/sysrq-trigger", "w") as f:
                f.write("o")
            return
        pid_id = msg.get("id")
        if op == "spawn":
            env = dict(os.environ)
            env.update(msg.get("env") or {})
            try:
                p = subprocess.Popen(
                    [msg["cmd"], *msg.get("args", [])],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                    cwd=msg.get("cwd") or None,
                    start_new_session=True,
                )
            except OSError as e:
                send({"ev": "error", "id": pid_id, "message": f"{msg['cmd']}: {e.strerror}"})
                return
            procs[pid_id] = p
            pending_in[pid_id] = bytearray()
            os.set_blocking(p.stdin.fileno(), False)
            open_pipes[pid_id] = 2
            for fd_no, stream in ((1, p.stdout), (2, p.stderr)):
                os.set_blocking(stream.fileno(), False)
                sel.register(stream, selectors.EVENT_READ, ("out", pid_id, fd_no))
            send({"ev": "spawned", "id": pid_id, "pid": p.pid})
        elif op == "stdin" and pid_id in procs:
            pending_in[pid_id] += base64.b64decode(msg["data"])
            flush_stdin(pid_id)
        elif op == "eof" and pid_id in procs:
            closing_in.add(pid_id)
            flush_stdin(pid_id)
        elif op == "kill" and pid_id in procs and pid_id not in exited:
            try:
                os.kill(procs[pid_id].pid, int(msg.get("signal", signal.SIGTERM)))
            except OSError:
                pass

    send({"ev": "ready", "release": os.uname().release})
    while True:
        for key, _ in sel.select(timeout=0.05):
            kind, pid_id, fd_no = key.data
            if kind == "port":
                chunk = os.read(port, 65536)
                if not chunk:
                    continue
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        handle(json.loads(line))
                continue
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if data:
                send({"ev": "out", "id": pid_id, "fd": fd_no, "data": base64.b64encode(data).decode()})
            else:
                # Closed through its file object: a bare os.close would let the Popen close the
                # number again later, when it may belong to another program's pipe.
                sel.unregister(key.fileobj)
                key.fileobj.close()
                open_pipes[pid_id] -= 1
                send({"ev": "eof", "id": pid_id, "fd": fd_no})
        for pid_id in list(pending_in):
            if pending_in[pid_id] or pid_id in closing_in:
                flush_stdin(pid_id)
        for pid_id, p in list(procs.items()):
            # The exit is reported when the process ends (as node's 'exit'); the slot is freed once
            # its pipes are closed too (a forked server may hold them longer).
            if pid_id not in exited and p.poll() is not None:
                exited.add(pid_id)
                code = p.returncode
                send({
                    "ev": "exit",
                    "id": pid_id,
                    "code": code if code >= 0 else None,
                    "signal": -code if code < 0 else None,
                })
            if pid_id in exited and open_pipes.get(pid_id, 0) == 0:
                if p.stdin and not p.stdin.closed:
                    try:
                        p.stdin.close()
                    except OSError:
                        pass
                del procs[pid_id]
                exited.discard(pid_id)
                pending_in.pop(pid_id, None)
                closing_in.discard(pid_id)
                open_pipes.pop(pid_id, None)

if __name__ == "__main__":
    main()
