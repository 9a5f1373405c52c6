#!/usr/bin/env python3
"""A minimal FTP client for the kernel differential suite (standard library only).

  ftp-client.py SERVER_IP LOCAL_IP active|passive FILE
Logs in anonymously, fetches FILE in binary mode over an active (PORT) or passive (PASV) data
connection and prints it. Exit 0 on success, 1 on any failure or timeout (3 s per step).
"""
import socket
import sys

server, local, mode, name = sys.argv[1:5]
T = 3.0


def main():
    ctl = socket.create_connection((server, 21), timeout=T, source_address=(local, 0))
    f = ctl.makefile("rb")

    def reply():
        line = f.readline().decode("latin-1")
        code = line[:3]
        while line[3:4] == "-":
            line = f.readline().decode("latin-1")
            if line.startswith(code + " "):
                break
        return line

    def cmd(text):
        ctl.sendall((text + "\r\n").encode("latin-1"))
        return reply()

    reply()
    r = cmd("USER anonymous")
    if r.startswith("331"):
        cmd("PASS guest@")
    cmd("TYPE I")
    if mode == "passive":
        r = cmd("PASV")
        nums = r[r.index("(") + 1 : r.index(")")].split(",")
        port = int(nums[4]) * 256 + int(nums[5])
        data = socket.create_connection((server, port), timeout=T, source_address=(local, 0))
        r = cmd("RETR " + name)
        if not r.startswith("150"):
            raise SystemExit("RETR refused: " + r.strip())
    else:
        lsock = socket.socket()
        lsock.bind((local, 0))
        lsock.listen(1)
        lsock.settimeout(T)
        port = lsock.getsockname()[1]
        cmd("PORT " + ",".join(local.split(".") + [str(port >> 8), str(port & 255)]))
        ctl.sendall(("RETR " + name + "\r\n").encode("latin-1"))
        data, _ = lsock.accept()
        data.settimeout(T)
        r = reply()
    chunks = []
    while True:
        b = data.recv(65536)
        if not b:
            break
        chunks.append(b)
    data.close()
    reply()
    sys.stdout.write(b"".join(chunks).decode("latin-1"))
    cmd("QUIT")
    ctl.close()


try:
    main()
except Exception as e:  # noqa: BLE001 - any failure is the flow failing
    print(f"ftp-client: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
