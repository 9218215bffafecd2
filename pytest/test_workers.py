"""engine.workers > 1 at startup: the lcores it needs, the ports that can carry it, the
options it excludes, and workers placed on lcores in the EAL's order whichever lcore is the
main one. Traffic over two workers (RSS steering, the source port choice, nothing handed to
the wrong queue) is pytest/test_loadgen.py's, over memif; the port choice itself is
tests/unit/test_rss.c's. Needs root (EAL runtime dirs, tap) but not the testbed."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from testbed import telemetry
from testbed.engine import REPO_ROOT
from testbed.netns import wait_until

BINARY = os.path.join(REPO_ROOT, os.environ.get("PE_BINARY", "build/proxyengine"))
RUN_DIR = "/var/run/dpdk"
BASE_CONF = os.path.join(REPO_ROOT, "testbed/proxyengine.conf")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="EAL runtime dirs and a tap: needs root")


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="pe-workers-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def conf(tmp, extra):
    """The testbed config with `extra` added to its engine group."""
    with open(BASE_CONF) as f:
        text = f.read()
    text, n = re.subn(r"(engine: \{)", r"\1 " + extra, text, count=1)
    assert n == 1
    path = os.path.join(tmp, "engine.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def null_profile(tmp):
    """A port with as many queues as asked and no RSS: net_null (no tap, no traffic of ours)."""
    path = os.path.join(tmp, "null.profile")
    with open(path, "w") as f:
        f.write("--no-huge\n-m\n512\n--no-pci\n--vdev=net_null0\n")
    return path


def run(prefix, lcores, *args, eal=()):
    argv = [BINARY, f"--file-prefix={prefix}", "-l", lcores, *eal, "--", *args]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
                              stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(os.path.join(RUN_DIR, prefix), ignore_errors=True)


def show(r):
    return f"rc={r.returncode}\n--- stdout ---\n{r.stdout}\n--- stderr ---\n{r.stderr[-2000:]}"


def test_check_needs_one_lcore_per_worker(tmp):
    r = run(f"pe-w-lc-{os.getpid()}", "0", "--check", "--profile", null_profile(tmp),
            "--config", conf(tmp, "workers = 2; peer_rss = true;"))
    assert r.returncode == 1, show(r)
    assert "engine.workers = 2 needs 2 lcores, the EAL has 1 (give e.g. -l 0-1)" in r.stdout, show(r)


def test_check_rss_port_and_port_without_reta(tmp):
    """net_null emulates RSS (key, hash types and a RETA it lets the engine set): two workers
    pass, the key read back. net_tap offers no RETA: refused, with the reason."""
    r = run(f"pe-w-rss-{os.getpid()}", "0-1", "--check", "--profile", null_profile(tmp),
            "--config", conf(tmp, "workers = 2;"))
    assert r.returncode == 0, show(r)
    assert re.search(r"configured with 2 rx/tx queue\(s\).*RSS on;", r.stdout), show(r)
    tap = os.path.join(tmp, "tap.profile")
    with open(tap, "w") as f:
        f.write("--no-huge\n-m\n512\n--no-pci\n--vdev=net_tap0,iface=pe-tapw\n")
    r = run(f"pe-w-tap-{os.getpid()}", "0-1", "--check", "--profile", tap,
            "--config", conf(tmp, "workers = 2;"))
    assert r.returncode == 1, show(r)
    assert "RETA of 0 entries" in r.stderr and "cannot be configured with 2 queue(s)" in r.stdout, \
        show(r)
    assert not os.path.exists("/sys/class/net/pe-tapw"), "--check left its tap behind"


@pytest.mark.parametrize("option", [["--deterministic"], ["--record", "/dev/null"]])
def test_options_that_run_one_worker(tmp, option):
    """--deterministic and --record are single-worker: refused as config errors (exit 2),
    by --check too."""
    c = conf(tmp, "workers = 2; peer_rss = true;")
    with open(c, "a") as f:
        f.write('tcp: { cookie_secret = "000102030405060708090a0b0c0d0e0f"; };\n')
    for check in ([], ["--check"]):
        r = run(f"pe-w-op-{os.getpid()}", "0-1", *check, *option, "--profile", null_profile(tmp),
                "--config", c)
        assert r.returncode == 2, show(r)
        assert "engine.workers is 2" in r.stdout + r.stderr, show(r)


def test_workers_follow_the_eal_lcores(tmp):
    """Main lcore 1, worker lcore 0: queue 0 runs on the main lcore, queue 1 on lcore 0 (a
    review found queue 1 written past the lcore table when the main lcore was the last).
    The port's peer is net_null: what it "receives" is counted and dropped."""
    prefix = f"pe-w-run-{os.getpid()}"
    argv = [BINARY, f"--file-prefix={prefix}", "-l", "0-1", "--main-lcore", "1", "--",
            "--profile", null_profile(tmp), "--config", conf(tmp, "workers = 2; peer_rss = true;")]
    with open(os.path.join(tmp, "engine.log"), "wb") as log:
        proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        path = telemetry.socket_path(prefix)
        info = wait_until(lambda: os.path.exists(path) and telemetry.query("/pe/info", path),
                          30, "engine telemetry", ignore=(OSError, telemetry.TelemetryError))
        workers = telemetry.query("/pe/workers", path)
        assert info["workers"] == 2 and info["rss"] == "peer", info
        assert {k: (v["queue"], v["lcore"]) for k, v in workers.items()} == \
            {"q0": (0, 1), "q1": (1, 0)}, workers
    finally:
        proc.terminate()
        rc = proc.wait(timeout=20)
        shutil.rmtree(os.path.join(RUN_DIR, prefix), ignore_errors=True)
    with open(os.path.join(tmp, "engine.log")) as f:
        log = f.read()
    assert rc == 0, log[-3000:]
