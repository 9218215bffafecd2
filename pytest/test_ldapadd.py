"""Given round-robin over two independent backends, writes through the VIP land on
exactly one backend, and are visible in the same session / on that backend."""
import uuid

import pytest


def dn_for(tb, tag):
    return f"uid=pe-test-{tag}-{uuid.uuid4().hex[:12]},ou=people,{tb.suffix}"


def holders(tb, dn):
    """Backends (searched directly, not through the VIP) that hold dn."""
    held = []
    for name in tb.backend_names:
        r = tb.ldapsearch(tb.backend_ip(name), dn, "1.1", check=False)
        assert r.returncode in (0, 32), f"direct search on {name}: rc={r.returncode} {r.stderr}"
        if r.returncode == 0 and f"dn: {dn}" in r.stdout:
            held.append(name)
    return held


@pytest.fixture
def cleanup(tb):
    """Collects DNs; deletes them directly on every backend afterwards (absent is fine)."""
    dns = []
    yield dns
    for dn in dns:
        for name in tb.backend_names:
            r = tb.client(["ldapdelete", "-x", "-H", f"ldap://{tb.backend_ip(name)}", "-D", tb.root_dn,
                           "-w", tb.root_pw, dn], check=False)
            assert r.returncode in (0, 32), f"cleanup of {dn} on {name}: {r.stderr}"


def test_ldap3_add_then_search_on_one_connection(tb, cleanup):
    dn = dn_for(tb, "ldap3")
    cleanup.append(dn)
    res = tb.nsclient("ldap3-add-search", tb.vip, tb.root_dn, tb.root_pw, tb.suffix, dn)
    assert res["add"]["result"] == 0, f"add through the VIP failed: {res}"
    assert [d.lower() for d in res["found"]] == [dn.lower()], f"entry not found on the same connection: {res}"
    held = holders(tb, dn)
    assert len(held) == 1, f"entry should be on exactly one backend, found on {held}"
    assert res["served_by"] == f"served-by {held[0]}", f"session said {res['served_by']}, entry on {held}"


def test_ldapadd_cli_lands_on_one_backend(tb, cleanup):
    dn = dn_for(tb, "cli")
    cleanup.append(dn)
    ldif = f"dn: {dn}\nobjectClass: inetOrgPerson\ncn: cli test\nsn: Test\n"
    tb.client(["ldapadd", "-x", "-o", "nettimeout=5", "-H", f"ldap://{tb.vip}", "-D", tb.root_dn,
               "-w", tb.root_pw], input=ldif)
    held = holders(tb, dn)
    assert len(held) == 1, f"entry should be on exactly one backend, found on {held}"
    sessions = []
    for _ in range(2):  # consecutive sessions go to different backends (round-robin)
        r = tb.ldapsearch(tb.vip, tb.suffix, f"(|(objectClass=dcObject)(uid={dn.split(',')[0][4:]}))",
                          "description", scope="sub")
        desc = [ln.split(": ", 1)[1] for ln in r.stdout.splitlines() if ln.startswith("description: served-by")]
        assert len(desc) == 1, f"no backend identification in {r.stdout!r}"
        sessions.append((desc[0].split()[1], f"dn: {dn}" in r.stdout))
    assert sessions[0][0] != sessions[1][0], f"two consecutive sessions hit the same backend: {sessions}"
    assert [s for s in sessions if s[1]] == [(held[0], True)], \
        f"entry (held by {held[0]}) should be found only in the session served by it: {sessions}"
