"""The vhost-user end of the virtio profile: build/vhost_bridge, bridged to pe-br0.

With pmd-profiles/virtio.profile the engine's port is net_virtio_user0, the
client of a vhost-user socket. In the testbed the server of that socket is
build/vhost_bridge (src/tools/vhost_bridge.c), a second DPDK process with two
ports, net_vhost0 on the socket and net_tap0 (kernel side pe-vtap0), that
forwards every frame between them; pe-vtap0 takes pe-tap0's place on pe-br0:

  proxyengine net_virtio_user0 --/tmp/pe-vhost.sock-- net_vhost0 [vhost_bridge] net_tap0
                                                                                  |
                                                               pe-vtap0 on pe-br0 (own MAC)

Command (from the repo root, output to LOG_PATH):
  build/vhost_bridge --file-prefix=pe-vhost -l 0 --no-huge -m 128 --no-pci \
      --vdev=net_vhost0,iface=SOCKET,queues=1 --vdev=net_tap0,iface=pe-vtap0
Ready = its "vhost_bridge: ready" line, the socket and the tap exist. It must be
ready before the engine starts (the engine's virtio_user connects at EAL init).

For a command that needs the peer but no testbed (e.g. ci/test.sh's --check):
  /usr/bin/python3 -m testbed.vhost PROFILE -- CMD [ARG...]
runs CMD between a bridge's start and stop when PROFILE is a virtio profile (tap
pe-vtapc0, file prefix pe-vhost-check, on no Linux bridge), CMD alone otherwise;
exit status CMD's (1 when the bridge does not start).

testbed/engine.py starts it before the testbed's engine when the profile has a
net_virtio_user vdev (socket_of_profile), attaches pe-vtap0 instead of pe-tap0,
and stops it after the engine. Nothing here is specific to one engine run: a
restarted engine gets a new bridge.
"""
import os
import re
import shutil
import subprocess
import sys

from . import topo
from .netns import pid_alive, run, terminate, wait_until

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAP = "pe-vtap0"
TAP_KERNEL_MAC = "02:00:00:00:fe:11"  # kernel side of pe-vtap0 (see topo.attach_tap)
FILE_PREFIX = "pe-vhost"
LOG_PATH = "/tmp/pe-testbed/logs/vhost_bridge.log"
MARKER = "vhost_bridge"  # occurs in its cmdline (netns.terminate checks it)
READY_LINE = "vhost_bridge: ready"


def binary():
    return os.path.join(REPO_ROOT, os.environ.get("PE_VHOST_BINARY", "build/vhost_bridge"))


def socket_of_profile(profile):
    """The vhost-user socket path of a profile's net_virtio_user vdev, or None when the
    profile (a path, relative to the repo root or absolute) has no such vdev."""
    path = profile if os.path.isabs(profile) else os.path.join(REPO_ROOT, profile)
    try:
        with open(path) as f:
            lines = [ln.split("#", 1)[0].strip() for ln in f]
    except OSError:
        return None  # the engine reports an unreadable profile itself
    for ln in lines:
        m = re.match(r"^(?:--vdev=?)?(?:net_)?virtio_user\d*,(.*)$", ln)
        if m:
            kv = dict(p.split("=", 1) for p in m.group(1).split(",") if "=" in p)
            return kv.get("path")
    return None


def _tap_mac(ifname):
    with open(f"/sys/class/net/{ifname}/address") as f:
        return f.read().strip()


def log_tail(lines=30, path=LOG_PATH):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except FileNotFoundError:
        return "(no vhost_bridge log)"


class VhostError(RuntimeError):
    pass


class VhostBridge:
    """One vhost_bridge process: start() returns when it is ready, stop() by pid."""

    def __init__(self, socket, *, pid=None, tap=TAP, file_prefix=FILE_PREFIX, log_path=LOG_PATH):
        self.socket = socket
        self.pid = pid
        self.tap = tap
        self.file_prefix = file_prefix
        self.log_path = log_path
        self.proc = None
        self.rc = None

    def argv(self):
        # lcore 0 like the engine: core 1 stays for the clients and slapd (both
        # DPDK processes nap when idle, so they share core 0).
        return [binary(), f"--file-prefix={self.file_prefix}", "-l", "0", "--no-huge", "-m", "128",
                "--no-pci", f"--vdev=net_vhost0,iface={self.socket},queues=1",
                f"--vdev=net_tap0,iface={self.tap}"]

    def log_tail(self, lines=30):
        return log_tail(lines, self.log_path)

    def _remove_leftovers(self):
        """A crashed run's socket (bind would fail: EADDRINUSE) and tap, by name."""
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        if topo.link_exists(self.tap):
            run(["ip", "link", "del", self.tap], check=False)

    def start(self, timeout=15.0):
        if not os.access(binary(), os.X_OK):
            raise VhostError(f"{binary()} not found or not executable (build it first)")
        self._remove_leftovers()
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv(), cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        try:
            wait_until(self._ready, timeout, f"{READY_LINE!r}, socket {self.socket} and link {self.tap}")
        except BaseException as exc:
            self.stop()
            raise VhostError(f"vhost_bridge did not become ready: {exc}\n--- {self.log_path} (tail) ---\n"
                             f"{self.log_tail()}") from exc
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise VhostError(f"vhost_bridge exited early with rc={self.proc.returncode}")
        try:
            with open(self.log_path, errors="replace") as f:
                if READY_LINE not in f.read():
                    return False
        except FileNotFoundError:
            return False
        return os.path.exists(self.socket) and topo.link_exists(self.tap)

    def attach(self, bridge=topo.BRIDGE):
        """Join pe-vtap0 to the Linux bridge as topo.attach_tap() does for pe-tap0: IPv6 off,
        a MAC of its own (net_tap gives the kernel side the DPDK port's MAC), then up."""
        with open(f"/proc/sys/net/ipv6/conf/{self.tap}/disable_ipv6", "w") as f:
            f.write("1")
        kernel_mac = TAP_KERNEL_MAC if _tap_mac(self.tap) != TAP_KERNEL_MAC else "02:00:00:00:fe:12"
        run(["ip", "link", "set", self.tap, "address", kernel_mac])
        run(["ip", "link", "set", self.tap, "master", bridge, "up"])
        now = _tap_mac(self.tap)
        if now != kernel_mac:
            raise VhostError(f"{self.tap} MAC changed back to {now} after we set {kernel_mac}")

    def alive(self):
        return self.pid is not None and pid_alive(self.pid)

    def stop(self, timeout=10.0):
        """SIGTERM by pid (SIGKILL after `timeout`), then remove what it leaves: its DPDK
        runtime dir, and the socket and tap if it could not. Repeated calls are no-ops."""
        if self.pid is not None:
            gone = terminate(self.pid, MARKER, timeout)
            if gone and self.proc is not None:
                self.rc = self.proc.wait(timeout=5)
            if gone:
                self.pid = None
        cleanup(self.socket, self.tap, self.file_prefix)
        return self.rc


def cleanup(socket=None, tap=TAP, file_prefix=FILE_PREFIX):
    """Remove a bridge's leftovers by name (after it exited): tap, socket, runtime dir."""
    if topo.link_exists(tap):
        run(["ip", "link", "del", tap], check=False)
    if socket and os.path.exists(socket):
        os.unlink(socket)
    shutil.rmtree(f"/var/run/dpdk/{file_prefix}", ignore_errors=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python3 -m testbed.vhost PROFILE -- CMD [ARG...]", file=sys.stderr)
        return 2
    sock = socket_of_profile(argv[0])
    vb = None
    if sock:
        vb = VhostBridge(sock, tap="pe-vtapc0", file_prefix="pe-vhost-check",
                         log_path="/tmp/pe-vhost-check.log")
        try:
            vb.start()
        except VhostError as exc:
            print(f"testbed.vhost: {exc}", file=sys.stderr)
            return 1
    try:
        return subprocess.run(argv[2:], cwd=REPO_ROOT).returncode
    finally:
        if vb is not None:
            vb.stop()


if __name__ == "__main__":
    sys.exit(main())
