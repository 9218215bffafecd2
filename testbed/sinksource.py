"""A small TCP sink/source server and its client, for byte-exact transfer tests.

Server (runs inside a backend netns, stopped by pid, exits by itself after --lifetime):
    ip netns exec pe-be1 /usr/bin/python3 -m testbed.sinksource serve --bind 198.18.0.11 \
        --port 9000 --name be1
Client (runs inside pe-client; prints one JSON object, exit 0 if the transfer was exact):
    python3 -m testbed.sinksource upload   HOST PORT NBYTES SEED [--no-wait]
    python3 -m testbed.sinksource download HOST PORT NBYTES SEED
    python3 -m testbed.sinksource ping     HOST PORT

Protocol: one request per connection, chosen by the client's first line (ASCII):
    "UPLOAD <n>\\n"             -> server replies "READY\\n"; the client then sends n bytes,
                                  the server reads exactly n bytes, replies
                                  "<sha256 hex of them> <server name>\\n" and closes
    "DOWNLOAD <n> <seed>\\n"    -> server sends exactly n bytes of stream(seed), closes
    "PING\\n"                   -> "PONG <server name>\\n", closes
stream(seed) is a deterministic pseudo-random byte stream (random.Random(seed),
64 KiB chunks), the same on both ends; the client computes the digest it expects
locally and compares. n is at most MAX_BYTES; every socket operation has a timeout.

READY lets a client keep its first segment alone in flight. `upload --no-wait`
(what test_transfer uses) streams right after the request line, like most real
clients, so later segments can overtake the first one under loss or reordering;
that once made the engine reset the connection (scenario
data_overtaking_the_first_payload_does_not_reset). The server sends READY either
way; a --no-wait client skips it before the digest line.
"""
import argparse
import hashlib
import json
import random
import signal
import socket
import sys
import threading
import time

MAX_BYTES = 256 << 20
CHUNK = 64 << 10
IO_TIMEOUT = 30.0


def stream(seed, n):
    """Yield n bytes of the deterministic stream for `seed`, in chunks of at most CHUNK."""
    rng = random.Random(seed)
    left = n
    while left > 0:
        k = min(CHUNK, left)
        yield rng.randbytes(k)
        left -= k


def stream_sha256(seed, n):
    h = hashlib.sha256()
    for chunk in stream(seed, n):
        h.update(chunk)
    return h.hexdigest()


def _readline(sock, limit=128):
    buf = b""
    while not buf.endswith(b"\n"):
        c = sock.recv(1)
        if not c:
            raise EOFError(f"connection closed in the request line after {buf!r}")
        buf += c
        if len(buf) > limit:
            raise ValueError("request line too long")
    return buf.decode("ascii").split()


# ---- server ---------------------------------------------------------------------


def _serve_one(conn, name):
    with conn:
        conn.settimeout(IO_TIMEOUT)
        try:
            req = _readline(conn)
            if req[0] == "PING":
                conn.sendall(f"PONG {name}\n".encode())
            elif req[0] == "UPLOAD":
                n = int(req[1])
                if not 0 <= n <= MAX_BYTES:
                    raise ValueError(f"size {n}")
                conn.sendall(b"READY\n")
                h, got = hashlib.sha256(), 0
                while got < n:
                    data = conn.recv(min(CHUNK, n - got))
                    if not data:
                        raise EOFError(f"upload closed after {got} of {n} bytes")
                    h.update(data)
                    got += len(data)
                conn.sendall(f"{h.hexdigest()} {name}\n".encode())
            elif req[0] == "DOWNLOAD":
                n, seed = int(req[1]), int(req[2])
                if not 0 <= n <= MAX_BYTES:
                    raise ValueError(f"size {n}")
                for chunk in stream(seed, n):
                    conn.sendall(chunk)
            else:
                raise ValueError(f"unknown request {req!r}")
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(5)
            while conn.recv(CHUNK):  # wait for the client's FIN, so our FIN is not lost in a RST
                pass
        except (OSError, EOFError, ValueError, IndexError) as exc:
            print(f"sinksource {name}: {exc!r}", file=sys.stderr, flush=True)


def serve(bind, port, name, lifetime):
    """Serve until SIGTERM/SIGINT or `lifetime` seconds have passed."""
    deadline = time.monotonic() + lifetime
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((bind, port))
    ls.listen(64)
    ls.settimeout(0.2)
    print(f"sinksource {name} listening on {bind}:{port}", flush=True)
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=_serve_one, args=(conn, name), daemon=True).start()
    ls.close()
    return 0


# ---- client ---------------------------------------------------------------------


def _connect(host, port):
    s = socket.create_connection((host, int(port)), timeout=IO_TIMEOUT)
    s.settimeout(IO_TIMEOUT)
    return s


def upload(host, port, n, seed, wait_ready=True):
    t0 = time.monotonic()
    h = hashlib.sha256()
    with _connect(host, port) as s:
        s.sendall(f"UPLOAD {n}\n".encode())
        ready = _readline(s) if wait_ready else None  # the server sends it anyway
        if wait_ready and ready != ["READY"]:
            raise ValueError(f"server answered {ready!r}, not READY")
        for chunk in stream(seed, n):
            h.update(chunk)
            s.sendall(chunk)
        reply = b""
        while not reply.endswith(b"\n") or (not wait_ready and reply.count(b"\n") < 2):
            data = s.recv(256)
            if not data:
                break
            reply += data
    parts = reply.decode(errors="replace").split()
    if not wait_ready and parts[:1] == ["READY"]:
        parts = parts[1:]
    remote = parts[0] if parts else None
    return {"mode": "upload", "bytes": n, "sha256_local": h.hexdigest(), "sha256_remote": remote,
            "server": parts[1] if len(parts) > 1 else None, "ok": remote == h.hexdigest(),
            "seconds": round(time.monotonic() - t0, 3)}


def download(host, port, n, seed):
    t0 = time.monotonic()
    h, got = hashlib.sha256(), 0
    with _connect(host, port) as s:
        s.sendall(f"DOWNLOAD {n} {seed}\n".encode())
        while True:
            data = s.recv(CHUNK)
            if not data:
                break
            h.update(data)
            got += len(data)
            if got > n:
                break
    expected = stream_sha256(seed, n)
    return {"mode": "download", "bytes": n, "bytes_received": got, "sha256": h.hexdigest(),
            "sha256_expected": expected, "ok": got == n and h.hexdigest() == expected,
            "seconds": round(time.monotonic() - t0, 3)}


def ping(host, port):
    with _connect(host, port) as s:
        s.sendall(b"PING\n")
        reply = s.recv(128).decode(errors="replace").split()
    return {"mode": "ping", "server": reply[1] if len(reply) > 1 else None,
            "ok": bool(reply) and reply[0] == "PONG"}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m testbed.sinksource")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sv = sub.add_parser("serve")
    sv.add_argument("--bind", required=True)
    sv.add_argument("--port", type=int, default=9000)
    sv.add_argument("--name", default="sinksource")
    sv.add_argument("--lifetime", type=float, default=900.0, help="exit after this many seconds")
    for mode in ("upload", "download"):
        p = sub.add_parser(mode)
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("nbytes", type=int)
        p.add_argument("seed", type=int)
        if mode == "upload":
            p.add_argument("--no-wait", action="store_true",
                           help="stream at once, without waiting for READY")
    p = sub.add_parser("ping")
    p.add_argument("host")
    p.add_argument("port", type=int)
    args = ap.parse_args(argv)
    if args.cmd == "serve":
        return serve(args.bind, args.port, args.name, args.lifetime)
    if args.cmd in ("upload", "download") and not 0 <= args.nbytes <= MAX_BYTES:
        ap.error(f"nbytes must be 0..{MAX_BYTES}")
    if args.cmd == "upload":
        res = upload(args.host, args.port, args.nbytes, args.seed, wait_ready=not args.no_wait)
    elif args.cmd == "download":
        res = download(args.host, args.port, args.nbytes, args.seed)
    else:
        res = ping(args.host, args.port)
    print(json.dumps(res), flush=True)
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
