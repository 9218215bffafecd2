"""The engine validates its command line and config before starting DPDK:
errors exit 2 with `file:line: key: what is wrong`. Needs no testbed and no root."""
import os
import re
import subprocess

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO_ROOT, os.environ.get("PE_BINARY", "build/proxyengine"))

# A valid config; each case edits it. Line numbers are 1-based.
VALID = [
    "# bad-config test case",                                      # 1
    "engine: {",                                                   # 2
    '\tvip = "198.18.0.1";',                                       # 3
    "\tport = 389;",                                               # 4
    '\tsource_address = "198.18.0.2";',                            # 5
    "};",                                                          # 6
    "backends = (",                                                # 7
    '\t{ name = "be1"; address = "198.18.0.11"; port = 389; }',    # 8
    ");",                                                          # 9
    'selection = "round-robin";',                                  # 10
]


def edit(replace=None, insert=None, delete=None):
    lines = list(VALID)
    for lineno, text in (replace or {}).items():
        lines[lineno - 1] = text
    if insert:
        lines.insert(insert[0] - 1, insert[1])
    if delete:
        del lines[delete - 1]
    return "\n".join(lines) + "\n"


# case id -> (config text, expected "LINE: KEY:" regex after the path)
BAD = {
    "bad-ipv4": (edit(replace={3: '\tvip = "198.18.0.256";'}), r"3: engine\.vip:"),
    "port-out-of-range": (edit(replace={4: "\tport = 70000;"}), r"4: engine\.port:"),
    "unknown-key": (edit(insert=(6, '\tcolour = "blue";')), r"6: engine\.colour:"),
    "missing-vip": (edit(delete=3), r"2: engine\.vip:"),          # reported at the engine group
    "syntax-error": (edit(replace={4: "\tport = = 389;"}), r"4: \(syntax\):"),
    "bad-selection": (edit(replace={10: 'selection = "random-ish";'}), r"10: selection:"),
    "bad-backend-address": (edit(replace={8: '\t{ name = "be1"; address = "198.18.0"; port = 389; }'}),
                            r"8: backends\.?\[0\]\.address:"),
}


def engine(*args, timeout=10):
    assert os.access(BINARY, os.X_OK), f"{BINARY} missing: build the engine first (ninja -C build)"
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd="/tmp")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_rejected(tmp_path, case):
    text, where = BAD[case]
    path = tmp_path / f"{case}.conf"
    path.write_text(text)
    r = engine("--", "--config", str(path))
    assert r.returncode == 2, f"{case}: rc={r.returncode}, stderr={r.stderr!r}"
    assert re.search(re.escape(str(path)) + ":" + where, r.stderr), \
        f"{case}: expected '{path}:{where}' in stderr, got {r.stderr!r}"


def test_help():
    r = engine("--", "--help")
    assert r.returncode == 0, f"rc={r.returncode} {r.stderr!r}"
    assert "usage" in (r.stdout + r.stderr).lower() and "--config" in r.stdout + r.stderr


def test_version():
    r = engine("--", "--version")
    assert r.returncode == 0 and r.stdout.strip() == "proxyengine 0.1.0", f"rc={r.returncode} {r.stdout!r}"


def test_unknown_option():
    r = engine("--", "--frobnicate")
    assert r.returncode == 2, f"rc={r.returncode} {r.stderr!r}"


def test_missing_config_file(tmp_path):
    path = tmp_path / "does-not-exist.conf"
    r = engine("--", "--config", str(path))
    assert r.returncode == 2, f"rc={r.returncode} {r.stderr!r}"
    assert str(path) in r.stderr, f"stderr does not name {path}: {r.stderr!r}"
