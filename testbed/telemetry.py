"""Client for the engine's DPDK rte_telemetry v2 socket.

Protocol: AF_UNIX SOCK_SEQPACKET; on connect the server sends one JSON greeting
({"version", "pid", "max_output_len"}); then each command string sent gets one
JSON reply {"<cmd>": <value>}. Engine commands: /pe/stats, /pe/backends, /pe/info.
"""
import json
import socket
import time


def socket_path(file_prefix):
    """The telemetry socket of the DPDK process started with --file-prefix=file_prefix."""
    return f"/var/run/dpdk/{file_prefix}/dpdk_telemetry.v2"


SOCKET_PATH = socket_path("pe-testbed")
GREETING_MAX = 16 * 1024


class TelemetryError(RuntimeError):
    pass


class Telemetry:
    """Telemetry(path).connect(timeout) retries until the deadline; query(cmd) -> value."""

    def __init__(self, path=SOCKET_PATH):
        self.path = path
        self.sock = None
        self.max_len = GREETING_MAX

    def connect(self, timeout=10.0):
        """Connect (retrying on ENOENT/ECONNREFUSED until `timeout`) and consume the greeting."""
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            sock.settimeout(max(1.0, deadline - time.monotonic()))
            try:
                sock.connect(self.path)
                greeting = json.loads(sock.recv(GREETING_MAX))
                self.max_len = max(int(greeting.get("max_output_len", 0)), GREETING_MAX)
                self.sock = sock
                return self
            except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError, TimeoutError,
                    ValueError) as exc:
                sock.close()
                if time.monotonic() >= deadline:
                    raise TelemetryError(f"cannot connect to telemetry socket {self.path}: {exc!r}") from exc
                time.sleep(0.05)
            except BaseException:
                sock.close()
                raise

    def query(self, cmd):
        """Send `cmd`, return the value of the one-key reply {cmd: value}."""
        if self.sock is None:
            self.connect()
        self.sock.sendall(cmd.encode())
        raw = self.sock.recv(self.max_len + 1024)
        if not raw:
            raise TelemetryError(f"telemetry socket closed while answering {cmd}")
        reply = json.loads(raw)
        if not isinstance(reply, dict) or cmd not in reply:
            raise TelemetryError(f"unexpected telemetry reply to {cmd}: {raw[:500]!r}")
        return reply[cmd]

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        if self.sock is None:
            self.connect()
        return self

    def __exit__(self, *exc):
        self.close()


def query(cmd, path=SOCKET_PATH, timeout=5.0):
    """One-shot: connect, query `cmd`, close."""
    with Telemetry(path).connect(timeout) as t:
        return t.query(cmd)
