"""Start, wait for and stop the proxyengine binary on the testbed.

Command (from the repo root):
  $PE_BINARY --file-prefix=pe-testbed -l 0 $PE_EAL_ARGS -- \
      --profile $PE_PROFILE --config $PE_CONFIG $PE_ARGS
Defaults: PE_BINARY=build/proxyengine, PE_PROFILE=pmd-profiles/tap.profile,
PE_CONFIG=testbed/proxyengine.conf, PE_EAL_ARGS/PE_ARGS empty (shell-split).
stdout+stderr go to LOG_PATH. Ready = the telemetry socket accepts a connection
and answers /pe/info (registered after the port started), and the tap pe-tap0
exists; then the tap is joined to the bridge (topo.attach_tap).
"""
import os
import shlex
import subprocess
import sys

from . import topo
from .netns import pid_alive, terminate, wait_until
from .telemetry import SOCKET_PATH, Telemetry, TelemetryError

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILE_PREFIX = "pe-testbed"
LOG_PATH = "/tmp/pe-testbed/logs/engine.log"


def binary():
    return os.path.join(REPO_ROOT, os.environ.get("PE_BINARY", "build/proxyengine"))


def command():
    """The full argv used to start the engine (env overrides applied)."""
    profile = os.environ.get("PE_PROFILE", "pmd-profiles/tap.profile")
    config = os.environ.get("PE_CONFIG", "testbed/proxyengine.conf")
    return ([binary(), f"--file-prefix={FILE_PREFIX}", "-l", "0"]
            + shlex.split(os.environ.get("PE_EAL_ARGS", ""))
            + ["--", "--profile", profile, "--config", config]
            + shlex.split(os.environ.get("PE_ARGS", "")))


def log_tail(lines=40):
    try:
        with open(LOG_PATH, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except FileNotFoundError:
        return "(no engine log)"


class EngineError(RuntimeError):
    pass


class Engine:
    """One engine process. start() returns when it is ready and its tap is on the bridge."""

    def __init__(self, pid=None, marker=None):
        self.pid = pid
        self.marker = marker or os.path.basename(binary())  # must occur in its cmdline
        self.proc = None
        self.rc = None

    def start(self, timeout=30.0, wait_backends=True):
        """spawn() then wait_ready()."""
        self.spawn()
        self.wait_ready(timeout, wait_backends)

    def spawn(self):
        """Launch the engine (output to LOG_PATH) and record its pid; do not wait."""
        if not os.access(binary(), os.X_OK):
            raise EngineError(f"engine binary {binary()} not found or not executable (build it first)")
        os.makedirs(os.path.dirname(LOG_PATH), exist_ok=True)
        with open(LOG_PATH, "wb") as log:
            self.proc = subprocess.Popen(command(), cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def wait_ready(self, timeout=30.0, wait_backends=True):
        """Return when the engine is ready, its tap is on the bridge and (if wait_backends)
        /pe/backends reports every backend "up". On failure: stop it, raise EngineError
        with the log tail."""
        try:
            wait_until(self._ready, timeout, "engine telemetry (/pe/info) and tap link")
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
            raise EngineError(f"engine did not become ready: {exc}\n--- {LOG_PATH} (tail) ---\n"
                              f"{log_tail()}") from exc

    def _ready(self):
        if self.proc.poll() is not None:
            raise EngineError(f"engine exited early with rc={self.proc.returncode}")
        if not topo.link_exists(topo.TAP):
            return False
        try:
            with Telemetry(SOCKET_PATH).connect(timeout=0) as tel:
                # DPDK serves telemetry from rte_eal_init on, but /pe/* only exist
                # once the engine has started its port (startup order), and only
                # then is the tap's kernel MAC final (port start resets it).
                return isinstance(tel.query("/pe/info"), dict)
        except TelemetryError:
            return False

    def backends(self):
        with Telemetry(SOCKET_PATH).connect(timeout=2) as tel:
            return tel.query("/pe/backends")

    def alive(self):
        return self.pid is not None and pid_alive(self.pid)

    def stop(self, timeout=10.0):
        """SIGTERM by pid, wait up to `timeout`, then SIGKILL. Returns the exit code if known
        (None when the process is not our child). Prints the log tail if the engine did
        not exit cleanly on SIGTERM. Repeated calls are no-ops."""
        if self.pid is None:
            return self.rc
        exited_already = self.proc is not None and self.proc.poll() is not None
        gone = terminate(self.pid, self.marker, timeout)
        self.rc = self.proc.wait(timeout=5) if self.proc is not None and gone else None
        if not exited_already and (not gone or self.rc not in (0, None)):
            state = "still running" if not gone else f"exit status {self.rc}"
            print(f"engine pid {self.pid}: {state} after SIGTERM\n--- {LOG_PATH} (tail) ---\n"
                  f"{log_tail()}", file=sys.stderr)
        if gone:
            self.pid = None
        return self.rc
