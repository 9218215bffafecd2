"""The benchmark's CI smoke (issue 7): `python3 -m testbed.bench --quick`'s parts with small
counts, on the session's testbed. It checks that every part completes, that the generator
verified every byte it received (a part with a failed session or a mismatch raises instead of
giving a figure), and that the JSON has the issue's keys. No figure is compared with a
target or a time: the machine is shared, the figures are printed for the log."""
import json

from testbed import bench

KEYS = ("cycles_per_conn", "cycles_per_pkt", "instructions_per_conn", "bytes_per_conn_entry",
        "conns_per_sec_1w", "conns_per_sec_2w", "haproxy_cpu_ratio")


def test_bench_quick(tb):
    text, s = bench.run(quick=True, tb=tb)
    print("\n" + text + "\n" + json.dumps(s))
    missing = [k for k in KEYS if k not in s]
    assert not missing, f"JSON lacks {missing}: {s}"
    assert all(s[k] > 0 for k in KEYS), s
    assert s["bytes_verified"] > 0, s


def test_bench_refuses_a_wrong_run():
    """A generator run with a mismatch gives no figure."""
    bad = {"ok": 10, "failed": 1, "mismatches": 1}
    try:
        bench._checked(bad, "a run with one wrong byte")
    except bench.BenchError as e:
        assert "no figure" in str(e)
    else:
        raise AssertionError("a run with a mismatch was accepted")
