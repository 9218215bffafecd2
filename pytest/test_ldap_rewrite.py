"""LDAP DN rewrite on the real testbed: the engine runs pytest/configs/ldap-rewrite.conf
(clients see dc=corp,dc=example, the backends hold dc=example,dc=com; every connection
goes to be1), and then the same scenario again with ldap-rewrite-faults.conf (the same
plus 5 % loss and 5 % reorder on rx and tx, fixed seed).

- ldapsearch -b dc=corp,dc=example returns be1's entries under the client suffix: the
  output equals a direct search of be1 with the suffix replaced, and never shows
  dc=example,dc=com; also bound as cn=admin,dc=corp,dc=example (the bind DN is rewritten).
- ldapadd / ldapmodify / ldapdelete through the rewrite, bound as cn=admin,dc=corp,dc=example,
  land under dc=example,dc=com on be1 (seen by searching be1 directly and in be1's access log).
- A subtree search of ou=bulk (> 1 MB) through the rewrite, read with ldap3 and with
  ldapsearch, is complete and well formed: every entry, DNs under the client suffix,
  attribute values byte-identical to a direct search of be1.
- /pe/rules rewrite and inspect_rewrite moved, nothing was reset or malformed; with the
  fault variant every fault_{rx,tx}_{lost,reordered} counter moved, without it none did.
"""
import json
import os
import uuid

import pytest

from testbed import slapd
from test_ldap_policy import CLIENT, CONFIG_DIR, PY, Moved, SlapdLog, client, direct_has, rule_counts, wait_log

REWRITE_CONF = os.path.join(CONFIG_DIR, "ldap-rewrite.conf")
REWRITE_FAULTS_CONF = os.path.join(CONFIG_DIR, "ldap-rewrite-faults.conf")
BACKEND_SUFFIX = slapd.SUFFIX                  # dc=example,dc=com
CLIENT_SUFFIX = "dc=corp,dc=example"
CLIENT_ADMIN = f"cn=admin,{CLIENT_SUFFIX}"
MIN_BYTES = 1 << 20
FAULT_COUNTERS = [f"fault_{d}_{k}" for d in ("rx", "tx") for k in ("lost", "reordered")]


def to_client(text):
    return text.replace(BACKEND_SUFFIX, CLIENT_SUFFIX)


def to_backend(dn):
    assert dn.endswith(CLIENT_SUFFIX), dn
    return dn[:-len(CLIENT_SUFFIX)] + BACKEND_SUFFIX


@pytest.fixture(scope="module", params=["clean", "faults"])
def mode(request, tb):
    """The engine with the rewrite config (then with faults) for every test of the module."""
    with tb.engine_config(REWRITE_CONF if request.param == "clean" else REWRITE_FAULTS_CONF):
        yield request.param


def search(tb, host, base, *args, scope="sub", bind=None, text=True, timeout=60):
    """ldapsearch -LLL without line wrapping from pe-client; bind = (dn, pw) or None."""
    auth = ["-D", bind[0], "-w", bind[1]] if bind else []
    r = tb.client(["ldapsearch", "-x", "-LLL", "-o", "nettimeout=10", "-o", "ldif-wrap=no", "-H", f"ldap://{host}",
                   *auth, "-s", scope, "-b", base, *args], check=False, text=text, timeout=timeout)
    assert r.returncode == 0, f"ldapsearch on {host} -b {base}: rc={r.returncode} {r.stderr!r}"
    return r.stdout


def test_search_shows_client_suffix(tb, mode):
    be1 = tb.backend_ip("be1")
    cases = [  # (base under the client suffix, scope, extra args, bind through the VIP, bind direct)
        (CLIENT_SUFFIX, "base", ["description"], None, None),
        (CLIENT_SUFFIX, "one", [], None, None),
        (f"ou=people,{CLIENT_SUFFIX}", "sub", [], None, None),
        (f"ou=people,{CLIENT_SUFFIX}", "sub", ["(uid=*)", "uid", "userPassword"],
         (CLIENT_ADMIN, slapd.ROOT_PW), (slapd.ROOT_DN, slapd.ROOT_PW)),
        (slapd.ONLY_BASE["be1"].replace(BACKEND_SUFFIX, CLIENT_SUFFIX), "sub", [], None, None),
    ]
    for base, scope, args, bind_vip, bind_direct in cases:
        via = search(tb, tb.vip, base, *args, scope=scope, bind=bind_vip)
        direct = search(tb, be1, to_backend(base), *args, scope=scope, bind=bind_direct)
        what = f"-b {base} -s {scope} {args} bound as {bind_vip and bind_vip[0]}"
        assert "dn: " in direct, f"{what}: direct search of be1 found nothing: {direct!r}"
        assert BACKEND_SUFFIX not in via.lower(), f"{what}: backend suffix visible to the client:\n{via}"
        assert via == to_client(direct), f"{what}:\n--- through the VIP ---\n{via}\n--- be1, suffix mapped ---\n" \
                                         f"{to_client(direct)}"
    base = search(tb, tb.vip, CLIENT_SUFFIX, "description", scope="base")
    assert base.startswith(f"dn: {CLIENT_SUFFIX}\n") and "description: served-by be1" in base, base
    if "userPassword" not in search(tb, tb.vip, f"uid=alice,ou=people,{CLIENT_SUFFIX}", "userPassword",
                                    scope="base", bind=(CLIENT_ADMIN, slapd.ROOT_PW)):
        pytest.fail("bound as cn=admin,dc=corp,dc=example the rootdn's view (userPassword) is missing")
    rules = rule_counts(tb)
    assert rules.get("rewrite", 0) > 0, f"/pe/rules rewrite did not move: {rules}"


def test_writes_land_under_backend_suffix(tb, mode):
    uid = f"rw-{uuid.uuid4().hex[:10]}"
    client_dn = f"uid={uid},ou=people,{CLIENT_SUFFIX}"
    backend_dn = to_backend(client_dn)
    log1, log2 = SlapdLog("be1"), SlapdLog("be2")
    moved = Moved(tb)
    auth = ["-x", "-o", "nettimeout=10", "-H", f"ldap://{tb.vip}", "-D", CLIENT_ADMIN, "-w", slapd.ROOT_PW]
    try:
        r = tb.client(["ldapadd", *auth], input=f"dn: {client_dn}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                      f"cn: Rewrite Test\nsn: Test\ndescription: added through the rewrite\n", check=False)
        assert r.returncode == 0, f"ldapadd through the rewrite: rc={r.returncode} {r.stderr!r}"
        assert direct_has(tb, "be1", backend_dn), f"{backend_dn} not on be1 after the add"
        assert not direct_has(tb, "be2", backend_dn), f"{backend_dn} on be2"

        r = tb.client(["ldapmodify", *auth], input=f"dn: {client_dn}\nchangetype: modify\nreplace: description\n"
                      f"description: modified {uid}\n", check=False)
        assert r.returncode == 0, f"ldapmodify through the rewrite: rc={r.returncode} {r.stderr!r}"
        direct = search(tb, tb.backend_ip("be1"), backend_dn, "description", scope="base")
        assert f"description: modified {uid}" in direct, f"be1 after the modify: {direct!r}"
        via = search(tb, tb.vip, client_dn, "description", scope="base")
        assert via == f"dn: {client_dn}\ndescription: modified {uid}\n\n", f"read back through the VIP: {via!r}"

        r = tb.client(["ldapdelete", *auth, client_dn], check=False)
        assert r.returncode == 0, f"ldapdelete through the rewrite: rc={r.returncode} {r.stderr!r}"
        assert not direct_has(tb, "be1", backend_dn), f"{backend_dn} still on be1 after the delete"

        # be1's own log: the engine's connections bound and wrote with backend DNs only
        # (binds with a name: the read back through the VIP was anonymous)
        want = {"BIND": [slapd.ROOT_DN] * 3, "ADD": [backend_dn], "MOD": [backend_dn], "DEL": [backend_dn]}

        def logged():
            return {v: [d.lower() for d in log1.ops(v) if d] for v in want}

        def seen():
            got = logged()
            return got if all(len(got[v]) >= len(want[v]) for v in want) else None
        got = wait_log(tb, seen, "be1's log to show the writes") or logged()
        assert got == {v: [d.lower() for d in dns] for v, dns in want.items()}, f"be1's log: {got}"
        assert not log2.conns(), f"be2 saw connections from the engine: {log2.conns()}"
        st = moved.wait_stats({"inspect_rewrite": 1})
        assert st["inspect_rewrite"] >= 1, f"inspect_rewrite moved by {st}"
    finally:
        tb.client(["ldapdelete", "-x", "-H", f"ldap://{tb.backend_ip('be1')}", "-D", slapd.ROOT_DN,
                   "-w", slapd.ROOT_PW, backend_dn], check=False)


def test_large_request_through_rewrite(tb, mode):
    """A 150 KB modify (one LDAP message, more than the backend's first receive window):
    held whole by the engine, rewritten, and the value lands on be1 intact."""
    uid = f"big-{uuid.uuid4().hex[:10]}"
    client_dn = f"uid={uid},ou=people,{CLIENT_SUFFIX}"
    backend_dn = to_backend(client_dn)
    value = "".join(chr(0x41 + (i * 7) % 26) for i in range(150 * 1024))
    auth = ["-x", "-o", "nettimeout=10", "-H", f"ldap://{tb.vip}", "-D", CLIENT_ADMIN, "-w", slapd.ROOT_PW]
    try:
        r = tb.client(["ldapadd", *auth], input=f"dn: {client_dn}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                      f"cn: Big\nsn: Big\n", check=False)
        assert r.returncode == 0, f"ldapadd through the rewrite: rc={r.returncode} {r.stderr!r}"
        r = tb.client(["ldapmodify", *auth], input=f"dn: {client_dn}\nchangetype: modify\nreplace: description\n"
                      f"description: {value}\n", check=False, timeout=60)
        assert r.returncode == 0, f"150 KB ldapmodify through the rewrite: rc={r.returncode} {r.stderr!r}"
        direct = search(tb, tb.backend_ip("be1"), backend_dn, "description", scope="base")
        assert f"description: {value}\n" in direct, f"be1 has not the 150 KB value: {len(direct)} bytes"
    finally:
        tb.client(["ldapdelete", "-x", "-H", f"ldap://{tb.backend_ip('be1')}", "-D", slapd.ROOT_DN,
                   "-w", slapd.ROOT_PW, backend_dn], check=False)


def test_large_search_through_rewrite(tb, mode):
    base_client = slapd.BULK_BASE.replace(BACKEND_SUFFIX, CLIENT_SUFFIX)
    direct = client(tb, "dump", tb.backend_ip("be1"), "", "", slapd.BULK_BASE, timeout=120)
    before = tb.stats()
    r = tb.client([PY, "-c", CLIENT, "dump", tb.vip, "", "", base_client], timeout=180, check=False)
    if r.returncode != 0:
        after = tb.stats()
        moved = {k: after[k] - before.get(k, 0) for k in after
                 if k.startswith(("inspect", "stream", "fault", "rst", "drop")) and after[k] != before.get(k, 0)}
        pytest.fail(f"ldap3 search through the rewrite failed: {r.stderr.strip().splitlines()[-1:]}; "
                    f"counters moved: {moved}")
    via = json.loads(r.stdout)
    assert direct["result"]["result"] == 0 and len(direct["entries"]) == slapd.BULK_COUNT + 1, direct["result"]
    size = sum(len(e[0]) + sum(len(v) // 2 for vs in e[1].values() for v in vs) for e in direct["entries"])
    assert size >= MIN_BYTES, f"the bulk subtree holds only {size} bytes"

    assert via["result"]["result"] == 0 and via["result"]["type"] == "searchResDone", via["result"]
    assert via["other"] == [], f"unexpected responses besides entries: {via['other']}"
    assert len(via["entries"]) == len(direct["entries"]), \
        f"{len(via['entries'])} entries through the rewrite, {len(direct['entries'])} direct"
    wrong = [dn for dn, _ in via["entries"]
             if not dn.lower().endswith("," + CLIENT_SUFFIX) or BACKEND_SUFFIX in dn.lower()]
    assert not wrong, f"{len(wrong)} DNs not under the client suffix, first: {wrong[:3]}"
    want = {to_client(dn): attrs for dn, attrs in direct["entries"]}
    got = dict((dn, attrs) for dn, attrs in via["entries"])
    assert set(got) == set(want), \
        f"missing {sorted(set(want) - set(got))[:3]}, extra {sorted(set(got) - set(want))[:3]}"
    differ = [dn for dn in want if got[dn] != want[dn]]
    assert not differ, f"{len(differ)} entries differ from be1's, first {differ[0]}: {got[differ[0]]} != " \
                       f"{want[differ[0]]}"

    # the same through ldapsearch: byte for byte the direct LDIF with the suffix mapped
    ldif_direct = search(tb, tb.backend_ip("be1"), slapd.BULK_BASE, text=False)
    ldif_via = search(tb, tb.vip, base_client, text=False, timeout=120)
    mapped = ldif_direct.replace(BACKEND_SUFFIX.encode(), CLIENT_SUFFIX.encode())
    assert len(mapped) >= MIN_BYTES
    assert ldif_via == mapped, (
        f"ldapsearch through the rewrite: {len(ldif_via)} bytes, expected {len(mapped)}; first difference at "
        f"{next((k for k, (a, b) in enumerate(zip(ldif_via, mapped)) if a != b), min(len(ldif_via), len(mapped)))}")


def test_counters_after_rewrite_scenario(tb, mode):
    """Last in the module for each mode: what the engine counted since it started with it."""
    st = tb.stats()
    rules = rule_counts(tb)
    assert st["inspect_rewrite"] > 0 and rules.get("rewrite", 0) > 0, \
        f"inspect_rewrite {st['inspect_rewrite']}, /pe/rules {rules}"
    bad = {k: st.get(k, 0) for k in ("inspect_malformed", "inspect_reset", "inspect_limit_reset", "inspect_drop",
                                     "inspect_bad_verdict", "stream_retx_exhausted")}
    assert not any(bad.values()), f"counters that should be 0: {bad}"
    faults = {k: st[k] for k in FAULT_COUNTERS}
    if mode == "faults":
        assert all(faults.values()), f"fault counters that did not move: {faults}"
    else:
        assert not any(faults.values()), f"faults without fault injection: {faults}"
