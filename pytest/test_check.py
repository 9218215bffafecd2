"""`proxyengine --check`: config, profile, EAL, one port, mempool, port start/stop,
without forwarding and without telemetry. Exit 0 all passed, 2 config/profile
error, 1 EAL/port/mempool error; one `ok:`/`error:` line per check on stdout and
a final `check:` line. Each run has its own --file-prefix, and leaves neither a
tap nor /var/run/dpdk/<prefix> behind. Needs root (tap, /var/run/dpdk) but not
the testbed."""
import glob
import os
import re
import shutil
import subprocess

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO_ROOT, os.environ.get("PE_BINARY", "build/proxyengine"))
CONFIG = "testbed/proxyengine.conf"
TAP_PROFILE = "pmd-profiles/tap.profile"
PCI_PROFILE = "pmd-profiles/pci.profile"
PCI_DEVICE = "/sys/bus/pci/devices/0000:03:00.0"
TAP = "pe-tap0"  # the interface tap.profile creates (the testbed's name)
RUN_DIR = "/var/run/dpdk"
LINE = re.compile(r"^(ok|error|warning): \S")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="--check starts EAL and a tap: needs root")


def hugetlbfs_mounts():
    with open("/proc/mounts") as f:
        return [fields[1] for fields in (line.split() for line in f) if fields[2] == "hugetlbfs"]


@pytest.fixture
def prefix(request):
    """A --file-prefix of this test alone; its runtime dir and hugepage files are removed
    afterwards whatever happened (the test itself asserts that --check left none)."""
    name = f"pe-check-{os.getpid()}-{request.node.name}"
    name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:60]
    yield name
    shutil.rmtree(os.path.join(RUN_DIR, name), ignore_errors=True)
    for mnt in hugetlbfs_mounts():
        for path in glob.glob(os.path.join(mnt, f"{name}map_*")):
            os.unlink(path)


def check(prefix, profile=None, config=CONFIG, *, eal=(), timeout=60):
    assert os.access(BINARY, os.X_OK), f"{BINARY} missing: build the engine first (ninja -C build)"
    argv = [BINARY, f"--file-prefix={prefix}", "-l", "0", *eal, "--", "--check", "--config", config]
    if profile is not None:
        argv += ["--profile", str(profile)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
                       stdin=subprocess.DEVNULL)
    r.lines = [line for line in r.stdout.splitlines() if line.strip()]
    return r


def show(r):
    return f"rc={r.returncode}\n--- stdout ---\n{r.stdout}\n--- stderr (tail) ---\n{r.stderr[-3000:]}"


def assert_shape(r, passed):
    """Every line before the last is ok/error/warning; the last one says the verdict."""
    assert r.lines, show(r)
    final = r.lines[-1]
    assert final.startswith("check: passed" if passed else "check: FAILED"), show(r)
    # EAL's own usage text goes to stdout after an argument error; our lines are the rest
    ours = [line for line in r.lines[:-1] if LINE.match(line)]
    assert ours, show(r)
    if passed:
        assert all(LINE.match(line) and not line.startswith("error:") for line in r.lines[:-1]), show(r)
    else:
        assert any(line.startswith("error:") for line in ours), show(r)


def assert_no_leftovers(prefix):
    assert not os.path.exists(os.path.join(RUN_DIR, prefix)), f"{RUN_DIR}/{prefix} left behind"
    for mnt in hugetlbfs_mounts():
        assert not glob.glob(os.path.join(mnt, f"{prefix}map_*")), f"hugepage files left in {mnt}"


def test_usage_mentions_check():
    r = subprocess.run([BINARY, "--", "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--check" in r.stdout, show(r)


def test_tap_profile_passes(prefix, tmp_path):
    profile, tap = TAP_PROFILE, TAP
    if os.path.exists(f"/sys/class/net/{TAP}"):
        # the session's testbed owns pe-tap0: the same profile with an interface of its own
        profile, tap = str(tmp_path / "tap-check.profile"), "pe-tapchk"
        with open(os.path.join(REPO_ROOT, TAP_PROFILE)) as f:
            text = f.read()
        assert f"iface={TAP}" in text, text
        with open(profile, "w") as f:
            f.write(text.replace(f"iface={TAP}", f"iface={tap}"))
    r = check(prefix, profile)
    assert r.returncode == 0, show(r)
    assert_shape(r, passed=True)
    out = r.stdout
    for what in (f"ok: config {CONFIG}:", f"ok: profile {profile}:", "ok: EAL: initialised",
                 "ok: port: exactly one, port 0 (net_tap0)", "ok: mempool: 16383 mbufs",
                 "ok: port 0 (net_tap): configured with 1 rx/tx queue(s) of 1024/1024 descriptors",
                 "ok: port 0: stopped and closed"):
        assert what in out, f"missing {what!r}\n{show(r)}"
    assert r.lines[-1] == f"check: passed (profile {profile}, config {CONFIG})", show(r)
    assert "telemetry off" in out and "dpdk_telemetry" not in r.stderr, show(r)
    assert not os.path.exists(f"/sys/class/net/{tap}"), f"{tap} left behind"
    assert_no_leftovers(prefix)


def test_missing_profile(prefix, tmp_path):
    path = tmp_path / "no-such.profile"
    r = check(prefix, path)
    assert r.returncode == 2, show(r)
    assert_shape(r, passed=False)
    assert f"error: {path}:0: (file): cannot open the profile: No such file or directory" in r.lines, show(r)
    assert "EAL: initialised" not in r.stdout, show(r)
    assert_no_leftovers(prefix)


def test_bad_config(prefix, tmp_path):
    conf = tmp_path / "bad.conf"
    with open(os.path.join(REPO_ROOT, CONFIG)) as f:
        text = f.read()
    assert "\tport = 389;" in text
    conf.write_text(text.replace("\tport = 389;", "\tport = 70000;", 1))
    lineno = text[:text.index("\tport = 389;")].count("\n") + 1
    tap_before = os.path.exists(f"/sys/class/net/{TAP}")  # the session's testbed may own one
    r = check(prefix, TAP_PROFILE, conf)
    assert r.returncode == 2, show(r)
    assert_shape(r, passed=False)
    assert any(re.match(rf"error: {re.escape(str(conf))}:{lineno}: engine\.port: ", line)
               for line in r.lines), show(r)
    # the profile is still checked; EAL is not started
    assert f"ok: profile {TAP_PROFILE}: 5 EAL argument(s)" in r.lines, show(r)
    assert "EAL: initialised" not in r.stdout, show(r)
    assert os.path.exists(f"/sys/class/net/{TAP}") == tap_before, show(r)
    assert_no_leftovers(prefix)


@pytest.mark.parametrize("mode", ["check", "run"])
def test_backend_is_vip(prefix, tmp_path, mode):
    """A backend at the VIP is refused, with and without --check (before EAL)."""
    conf = tmp_path / "loop.conf"
    with open(os.path.join(REPO_ROOT, CONFIG)) as f:
        conf.write_text(f.read().replace('address = "198.18.0.12"', 'address = "198.18.0.1"', 1))
    want = f'{conf}: backends[1].address: "198.18.0.1" (be2) is also engine.vip'
    if mode == "check":
        r = check(prefix, TAP_PROFILE, conf)
        assert r.returncode == 2 and f"error: {want}: the engine owns it" in r.lines, show(r)
        assert_shape(r, passed=False)
    else:
        r = subprocess.run([BINARY, f"--file-prefix={prefix}", "--", "--config", str(conf),
                            "--profile", TAP_PROFILE], capture_output=True, text=True, timeout=10,
                           cwd=REPO_ROOT, stdin=subprocess.DEVNULL)
        assert r.returncode == 2 and want in r.stderr, show(r)
    assert_no_leftovers(prefix)


@pytest.mark.skipif(os.path.exists(PCI_DEVICE), reason="this machine has a device at 03:00.0")
def test_pci_profile_fails_cleanly_here(prefix):
    r = check(prefix, PCI_PROFILE)
    assert r.returncode == 1, show(r)   # not a signal, not a usage error
    assert_shape(r, passed=False)
    errors = [line for line in r.lines if line.startswith("error:")]
    assert all(line.startswith(f"error: {PCI_PROFILE}: ") for line in errors), show(r)
    # this machine: no device at 03:00.0, and (normally) no hugepages either
    assert (f"error: {PCI_PROFILE}: PCI 0000:03:00.0: no such device (/sys/bus/pci/devices/0000:03:00.0 "
            "is absent): is the NIC at 0000:03:00.0 installed, and bound to vfio-pci? "
            "(docs/hardware-validation.md)") in errors, show(r)
    free = sum(int(open(p).read()) for p in glob.glob("/sys/kernel/mm/hugepages/*/free_hugepages"))
    if free == 0:
        assert any(line.startswith(f"error: {PCI_PROFILE}: hugepages: none free") for line in errors), show(r)
    assert errors[-1] == f"error: {PCI_PROFILE}: EAL: not started: it cannot work without the above", show(r)
    assert r.lines[-1].startswith(f"check: FAILED, {len(errors)} error(s) (profile {PCI_PROFILE}, "), show(r)
    assert_no_leftovers(prefix)


def write_profile(tmp_path, name, *args):
    path = tmp_path / name
    path.write_text("# test profile\n--no-huge\n-m\n256\n--no-pci\n" + "".join(f"{a}\n" for a in args))
    return path


def test_two_ports(prefix, tmp_path):
    profile = write_profile(tmp_path, "two.profile", "--vdev=net_null0", "--vdev=net_null1")
    r = check(prefix, profile)
    assert r.returncode == 1, show(r)
    assert_shape(r, passed=False)
    assert f"error: {profile}: 2 ports (net_null0, net_null1): the profile must provide exactly one" \
        in r.lines, show(r)
    assert "ok: EAL: initialised" in r.stdout and "ok: mempool" not in r.stdout, show(r)
    assert_no_leftovers(prefix)


def test_no_port(prefix, tmp_path):
    profile = write_profile(tmp_path, "none.profile")
    r = check(prefix, profile)
    assert r.returncode == 1, show(r)
    assert f"error: {profile}: EAL: no port found: the arguments name no device " \
        "(-a PCI address or --vdev)" in r.lines, show(r)
    assert_no_leftovers(prefix)


def test_bad_eal_argument(prefix, tmp_path):
    profile = write_profile(tmp_path, "bad-eal.profile", "--vdev=net_null0", "--no-such-eal-option")
    r = check(prefix, profile)
    assert r.returncode == 1, show(r)
    assert_shape(r, passed=False)
    assert any(line.startswith(f"error: {profile}: EAL: initialisation failed: Invalid argument")
               for line in r.lines), show(r)
    assert_no_leftovers(prefix)


def test_null_port_passes(prefix, tmp_path):
    """A PMD without rx checksum offload or a tap passes too: the check is profile-agnostic."""
    profile = write_profile(tmp_path, "null.profile", "--vdev=net_null0")
    r = check(prefix, profile)
    assert r.returncode == 0, show(r)
    assert_shape(r, passed=True)
    assert "rx checksum offload off, RSS off (one queue)" in r.stdout, show(r)
    assert_no_leftovers(prefix)
