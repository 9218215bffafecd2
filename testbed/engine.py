"""Start, wait for and stop the proxyengine binary on the testbed.

Command (from the repo root):
  [ip netns exec NETNS] $PE_BINARY --file-prefix=PREFIX -l LCORES $PE_EAL_ARGS -- \
      --profile PROFILE --config CONFIG EXTRA_ARGS $PE_ARGS
Defaults: PE_BINARY=build/proxyengine, PROFILE=$PE_PROFILE or pmd-profiles/tap.profile,
CONFIG=$PE_CONFIG or testbed/proxyengine.conf, PREFIX=pe-testbed, LCORES=0, no netns,
no EXTRA_ARGS, PE_EAL_ARGS/PE_ARGS empty (shell-split).
stdout+stderr go to the log file (LOG_PATH by default). Ready = the telemetry
socket accepts a connection and answers /pe/info (registered after the port
started), and the tap exists (unless wait_tap=False); then, for the testbed's
engine, the tap is joined to the bridge (topo.attach_tap).

virtio profile (one with a net_virtio_user vdev, e.g. pmd-profiles/virtio.profile):
the testbed's engine starts build/vhost_bridge on the profile's socket before the
engine (spawn), joins the bridge's tap pe-vtap0 to pe-br0 instead of pe-tap0
(wait_ready), and stops the bridge after the engine (stop); see testbed/vhost.py.

Engine() is the testbed's engine (pe-tap0 on the bridge). Other instances (the
scenario runner's, testbed/scenario.py) pass their own file prefix, log, config,
profile, tap name and network namespace, and attach_bridge=False; the env
overrides PE_CONFIG/PE_PROFILE apply only when config/profile are not given.
Keyword options for engines off the bridge, e.g. the memif benchmark's
(testbed/loadgen.py):
  lcores="0-1"                  EAL -l (one lcore per engine.workers)
  extra_args=["--busy-poll"]    engine options after the config
  wait_tap=False                the port has no kernel interface (memif, pcap): ready
                                once /pe/info answers
  env={"PE_MEMIF_SOCKET": ...}  added to the engine's environment (profile ${NAME}s)
  env_args=False                ignore PE_EAL_ARGS and PE_ARGS (the fixtures' knobs)
"""
import os
import shlex
import subprocess
import sys

from . import topo
from . import vhost as vhost_mod
from .netns import pid_alive, run, terminate, wait_until
from .telemetry import Telemetry, TelemetryError, socket_path

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILE_PREFIX = "pe-testbed"
LOG_PATH = "/tmp/pe-testbed/logs/engine.log"


def binary():
    return os.path.join(REPO_ROOT, os.environ.get("PE_BINARY", "build/proxyengine"))


def default_config():
    return os.environ.get("PE_CONFIG", "testbed/proxyengine.conf")


def default_profile():
    return os.environ.get("PE_PROFILE", "pmd-profiles/tap.profile")


def command(file_prefix=FILE_PREFIX, config=None, profile=None, netns=None, *, lcores="0",
            extra_args=(), env_args=True):
    """The full argv used to start an engine (env overrides applied unless env_args=False)."""
    profile = profile or default_profile()
    config = config or default_config()
    eal_env = shlex.split(os.environ.get("PE_EAL_ARGS", "")) if env_args else []
    args_env = shlex.split(os.environ.get("PE_ARGS", "")) if env_args else []
    argv = ([binary(), f"--file-prefix={file_prefix}", "-l", str(lcores)] + eal_env
            + ["--", "--profile", profile, "--config", config] + list(extra_args) + args_env)
    return ["ip", "netns", "exec", netns] + argv if netns else argv


def log_tail(lines=40, path=LOG_PATH):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except FileNotFoundError:
        return "(no engine log)"


class EngineError(RuntimeError):
    pass


class Engine:
    """One engine process. start() returns when it is ready (and, for the testbed's
    engine, its tap is on the bridge)."""

    def __init__(self, pid=None, marker=None, *, file_prefix=FILE_PREFIX, log_path=LOG_PATH,
                 config=None, profile=None, tap=topo.TAP, netns=None, attach_bridge=True,
                 lcores="0", extra_args=(), wait_tap=True, env=None, env_args=True):
        self.pid = pid
        self.marker = marker or os.path.basename(binary())  # must occur in its cmdline
        self.proc = None
        self.rc = None
        self.file_prefix = file_prefix
        self.log_path = log_path
        self.config = config
        self.profile = profile
        self.tap = tap
        self.netns = netns
        self.attach_bridge = attach_bridge
        self.lcores = lcores
        self.extra_args = list(extra_args)
        self.wait_tap = wait_tap
        self.env = dict(env or {})
        self.env_args = env_args
        self.socket_path = socket_path(file_prefix)
        # virtio profile, testbed's engine: the vhost-user peer and its tap take pe-tap0's place
        self.vhost = None
        sock = vhost_mod.socket_of_profile(profile or default_profile()) if attach_bridge else None
        self.uplink = None
        if sock:
            self.vhost = vhost_mod.VhostBridge(sock)
            self.tap = self.vhost.tap
        elif attach_bridge and topo.uplink():
            # a NIC (pci profile): the interface cabled to it takes the tap's place
            self.uplink = topo.uplink()
            self.tap = self.uplink

    def argv(self):
        return command(self.file_prefix, self.config, self.profile, self.netns, lcores=self.lcores,
                       extra_args=self.extra_args, env_args=self.env_args)

    def log_tail(self, lines=40):
        return log_tail(lines, self.log_path)

    def start(self, timeout=30.0, wait_backends=True):
        """spawn() then wait_ready()."""
        self.spawn()
        self.wait_ready(timeout, wait_backends)

    def spawn(self):
        """Launch the engine (output to the log file) and record its pid; do not wait."""
        if not os.access(binary(), os.X_OK):
            raise EngineError(f"engine binary {binary()} not found or not executable (build it first)")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        if self.vhost is not None:
            self.vhost.start()  # virtio_user connects to its socket during EAL init
        # `ip netns exec` execs the engine, so the child's pid is the engine's own.
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv(), cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                         env={**os.environ, **self.env} if self.env else None)
        self.pid = self.proc.pid

    def wait_ready(self, timeout=30.0, wait_backends=True):
        """Return when the engine is ready, its tap is on the bridge (attach_bridge) and
        (if wait_backends) /pe/backends reports every backend "up". On failure: stop it,
        raise EngineError with the log tail."""
        try:
            wait_until(self._ready, timeout, "engine telemetry (/pe/info) and tap link"
                       if self.wait_tap else "engine telemetry (/pe/info)")
            if self.vhost is not None:
                self.vhost.attach()
            elif self.uplink is not None:
                topo.attach_uplink(self.uplink)
            elif self.attach_bridge:
                topo.attach_tap(timeout=5.0)
            if wait_backends:
                # The engine ARPs for its backends at start, before its tap is on the
                # bridge, so they begin "down"; wait until it has re-resolved them.
                last = {}
                try:
                    wait_until(lambda: last.update(backends=self.backends()) or all(
                        b.get("state") == "up" for b in last["backends"].values()), 15.0,
                        "all backends up in /pe/backends", interval=0.05)
                except TimeoutError as exc:
                    raise EngineError(f"{exc}; last /pe/backends: {last.get('backends')}") from None
        except BaseException as exc:
            self.stop()
            raise EngineError(f"engine did not become ready: {exc}\n--- {self.log_path} (tail) ---\n"
                              f"{self.log_tail()}") from exc

    def _tap_exists(self):
        if not self.wait_tap:
            return True
        if self.netns is None:
            return topo.link_exists(self.tap)
        return run(["ip", "link", "show", "dev", self.tap], ns=self.netns, check=False,
                   timeout=5).returncode == 0

    def _ready(self):
        if self.proc.poll() is not None:
            raise EngineError(f"engine exited early with rc={self.proc.returncode}")
        try:
            with Telemetry(self.socket_path).connect(timeout=0) as tel:
                # DPDK serves telemetry from rte_eal_init on, but /pe/* only exist
                # once the engine has started its port (startup order), and only
                # then is the tap's kernel MAC final (port start resets it).
                if not isinstance(tel.query("/pe/info"), dict):
                    return False
        except TelemetryError:
            return False
        return self._tap_exists()

    def telemetry(self, timeout=2.0):
        """A connected Telemetry client for this engine (use as a context manager)."""
        return Telemetry(self.socket_path).connect(timeout=timeout)

    def query(self, cmd):
        """One telemetry command's answer (e.g. "/pe/stats")."""
        with self.telemetry() as tel:
            return tel.query(cmd)

    def backends(self):
        return self.query("/pe/backends")

    def alive(self):
        return self.pid is not None and pid_alive(self.pid)

    def stop(self, timeout=10.0):
        """SIGTERM by pid, wait up to `timeout`, then SIGKILL. Returns the exit code if known
        (None when the process is not our child). Prints the log tail if the engine did
        not exit cleanly on SIGTERM. Repeated calls are no-ops. The vhost bridge (virtio
        profile) is stopped after the engine, whatever happened to it."""
        try:
            return self._stop_engine(timeout)
        finally:
            if self.vhost is not None:
                self.vhost.stop()

    def _stop_engine(self, timeout):
        if self.pid is None:
            return self.rc
        exited_already = self.proc is not None and self.proc.poll() is not None
        gone = terminate(self.pid, self.marker, timeout)
        self.rc = self.proc.wait(timeout=5) if self.proc is not None and gone else None
        if not exited_already and (not gone or self.rc not in (0, None)):
            state = "still running" if not gone else f"exit status {self.rc}"
            print(f"engine pid {self.pid}: {state} after SIGTERM\n--- {self.log_path} (tail) ---\n"
                  f"{self.log_tail()}", file=sys.stderr)
        if gone:
            self.pid = None
        return self.rc
