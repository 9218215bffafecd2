"""A subtree search of ou=bulk (> 1 MB of results, many TCP segments and windows)
through the VIP returns exactly the bytes a direct search of a backend returns."""

MIN_BYTES = 1 << 20


def first_diff(a, b):
    """Offset of the first differing byte (or of the end of the shorter input)."""
    return next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def test_large_search_byte_identical(tb):
    direct = {}
    for name in tb.backend_names:
        r = tb.ldapsearch(tb.backend_ip(name), tb.bulk_base, scope="sub", text=False)
        direct[name] = r.stdout
        assert len(r.stdout) >= MIN_BYTES, f"direct search on {name} only {len(r.stdout)} bytes"
    assert direct["be1"] == direct["be2"], "backends hold different bulk data"
    for i in range(2):  # round-robin: one session per backend
        r = tb.ldapsearch(tb.vip, tb.bulk_base, scope="sub", text=False, check=False, timeout=60)
        assert r.returncode == 0, f"VIP search {i}: rc={r.returncode} {r.stderr!r}"
        assert r.stdout == direct["be1"], (
            f"VIP search {i}: {len(r.stdout)} bytes, direct {len(direct['be1'])} bytes, "
            f"first difference at offset {first_diff(r.stdout, direct['be1'])}")
