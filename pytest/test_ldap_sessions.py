"""Given the testbed with round-robin over be1/be2, when the client runs 50
sequential ldapsearch sessions through the VIP, then every session returns the
base entry, both backends served some, and /pe/backends' selected counters grew
by exactly the sessions each backend served."""

SESSIONS = 50


def served_by(ldif):
    return [line.split(": ", 1)[1] for line in ldif.splitlines() if line.startswith("description: ")]


def test_50_sessions_round_robin(tb):
    before = tb.backends()
    counts = {}
    for i in range(SESSIONS):
        r = tb.ldapsearch(tb.vip, tb.suffix, "description", check=False)
        assert r.returncode == 0, f"session {i}: ldapsearch rc={r.returncode}: {r.stderr.strip()}"
        assert f"dn: {tb.suffix}" in r.stdout, f"session {i}: no base entry in {r.stdout!r}"
        desc = served_by(r.stdout)
        assert len(desc) == 1 and desc[0].startswith("served-by "), f"session {i}: {r.stdout!r}"
        name = desc[0].split()[1]
        counts[name] = counts.get(name, 0) + 1
    assert set(counts) == set(tb.backend_names), f"backends that served sessions: {counts}"
    after = tb.backends()
    delta = {n: after[n]["selected"] - before[n]["selected"] for n in tb.backend_names}
    assert sum(delta.values()) == SESSIONS, f"selected grew by {delta}, expected {SESSIONS} total"
    assert all(d > 0 for d in delta.values()), f"selected deltas {delta}"
    assert delta == counts, f"/pe/backends selected deltas {delta} != sessions observed {counts}"
