"""LDAP policy on the real testbed: the engine runs pytest/configs/ldap-policy.conf
(pools "people" = be1, "admin" = be2; routes by bind DN and by first operation;
anonymous binds refused; delete and moddn not allowed).

The backends hold different data (testbed/slapd.py ONLY_USERS/ONLY_BASE: uid=pat only
on be1, cn=operator,ou=admins only on be2) and write their access log (slapd -d stats),
so where a session went is checked on the backends themselves, not only through the VIP.

- 100 sessions (ldap3, 5 at a time), half bound as uid=...,ou=people (route by suffix),
  half as cn=admin (exact, also in upper case) or cn=operator,ou=admins (regex): every
  bind succeeds (pat and operator exist on one backend only), every session reads its
  backend's base entry, each backend's log shows exactly the binds of its pool from the
  engine, /pe/backends and /pe/rules route_0..route_2 moved by the session counts.
- Anonymous and unauthenticated simple binds: BindResponse 53 "anonymous bind refused
  by proxy policy" to ldapsearch, ldap3 and a raw socket; no backend sees the bind.
- delete / moddn (not in allow_operations): 53 "operation <name> not allowed by proxy
  policy" to ldapdelete, ldapmodrdn and ldap3; the entry stays on the backend.
- First operation routing: a connection whose first operation is an add reaches be2
  (admin), one whose first operation is a search reaches be1 (default_pool).
- Malformed BER (indefinite length; a length running past its parent; the latter also
  after a bind): the client socket gets ECONNRESET, the backend connection (if any) is
  reset too, inspect_malformed and /pe/rules malformed move, and a normal session right
  after works.

Helpers here (CLIENT, SlapdLog, rule_counts, BER) are also used by test_ldap_rewrite.py.
"""
import json
import os
import re
import uuid

import pytest

from testbed import ber, slapd, topo

PY = "/usr/bin/python3"
CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")
POLICY_CONF = os.path.join(CONFIG_DIR, "ldap-policy.conf")
SUFFIX = slapd.SUFFIX
PAT_DN, PAT_PW = slapd.ONLY_USERS["be1"]
OPERATOR_DN, OPERATOR_PW = slapd.ONLY_USERS["be2"]
STAT_NAMES = ["inspect_messages", "inspect_pass", "inspect_drop", "inspect_reset", "inspect_rewrite",
              "inspect_refuse", "inspect_passthrough", "inspect_limit_pass", "inspect_limit_reset",
              "inspect_malformed"]
REFUSED_ANON = "anonymous bind refused by proxy policy"

# ---------------------------------------------------------------------------------------------
# Client side: one script run in pe-client (python3 -c CLIENT CMD ARGS...), one JSON line out.
CLIENT = r'''
import concurrent.futures, json, socket, sys, time

def out(obj):
    print(json.dumps(obj), flush=True)

def server(host):
    from ldap3 import Server
    return Server(host, port=389, get_info=None, connect_timeout=10)

def res(conn):
    r = conn.result or {}
    return {k: r.get(k) for k in ("result", "description", "message", "type")}

def after(conn, base):
    """Another operation on the same connection: 'ok' or the exception it raised."""
    from ldap3 import BASE
    try:
        conn.search(base, "(objectClass=*)", BASE, attributes=["1.1"])
        return "ok" if conn.result and conn.result.get("result") == 0 else f"result {conn.result}"
    except Exception as exc:
        return f"error {type(exc).__name__}"

def sessions(host, suffix, specs, concurrency):
    from ldap3 import BASE, SIMPLE, Connection
    def one(spec):
        c = Connection(server(host), user=spec["dn"], password=spec["pw"], authentication=SIMPLE,
                       receive_timeout=20)
        try:
            c.open()
            ok = c.bind()
            r = {"dn": spec["dn"], "bind": res(c), "served_by": None, "only": []}
            if ok:
                c.search(suffix, "(objectClass=*)", BASE, attributes=["description"])
                r["served_by"] = str(c.entries[0].description) if c.entries else None
                for base in spec.get("only", []):
                    c.search(base, "(objectClass=*)", BASE, attributes=["1.1"])
                    if c.result["result"] == 0 and c.entries:
                        r["only"].append(base)
            return r
        except Exception as exc:
            return {"dn": spec["dn"], "error": repr(exc)}
        finally:
            try:
                c.unbind()
            except Exception:
                pass
    with concurrent.futures.ThreadPoolExecutor(max_workers=int(concurrency)) as pool:
        out(list(pool.map(one, json.loads(specs))))

def anonymous(host, suffix):
    from ldap3 import ANONYMOUS, Connection
    c = Connection(server(host), authentication=ANONYMOUS, receive_timeout=10)
    c.open()
    ok = c.bind()
    out({"bound": ok, "bind": res(c), "after": after(c, suffix)})

def first_op(host, suffix, op, dn):
    """No bind: the connection's first operation is `op` (add / search / modify)."""
    from ldap3 import BASE, MODIFY_REPLACE, Connection
    c = Connection(server(host), receive_timeout=10)
    c.open()
    served = None
    if op == "add":
        c.add(dn, ["organizationalRole"], {"cn": dn.split(",")[0].split("=")[1]})
    elif op == "modify":
        c.modify(dn, {"description": [(MODIFY_REPLACE, ["first-op"])]})
    else:
        c.search(suffix, "(objectClass=*)", BASE, attributes=["description"])
        served = str(c.entries[0].description) if c.entries else None
    r = res(c)
    c.unbind()
    out({"op": r, "served_by": served})

def op_after_bind(host, suffix, bind_dn, pw, op, dn):
    from ldap3 import SIMPLE, Connection
    c = Connection(server(host), user=bind_dn, password=pw, authentication=SIMPLE, receive_timeout=10)
    c.open()
    ok = c.bind()
    bind = res(c)
    if op == "delete":
        c.delete(dn)
    elif op == "moddn":
        c.modify_dn(dn, "cn=renamed-by-test")
    out({"bound": ok, "bind": bind, "op": res(c), "after": after(c, suffix)})

def recv_msg(sock):
    """One BER TLV (definite length)."""
    def n(k):
        b = b""
        while len(b) < k:
            chunk = sock.recv(k - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b
    head = n(2)
    if head[1] & 0x80:
        lb = n(head[1] & 0x7f)
        return head + lb + n(int.from_bytes(lb, "big"))
    return head + n(head[1])

def raw(host, steps):
    """steps: [["send", hex] | ["recv"] | ["end"]]; recv reads one LDAPMessage, end reads
    until the connection ends. Log: {"recv": hex} / {"end": "reset"|"eof"|"timeout"|"data"}."""
    sock = socket.create_connection((host, 389), timeout=10)
    log = []
    try:
        for step in json.loads(steps):
            try:
                if step[0] == "send":
                    sock.sendall(bytes.fromhex(step[1]))
                    log.append({"sent": len(step[1]) // 2})
                elif step[0] == "recv":
                    log.append({"recv": recv_msg(sock).hex()})
                else:
                    data = sock.recv(65536)
                    log.append({"end": "eof" if not data else "data", "data": data.hex()})
            except ConnectionResetError:
                log.append({"end": "reset"})
                break
            except (EOFError, BrokenPipeError):
                log.append({"end": "eof"})
                break
            except socket.timeout:
                log.append({"end": "timeout"})
                break
    finally:
        sock.close()
    out({"log": log})

def dump(host, bind_dn, pw, base):
    """Subtree search of base; every entry's DN and raw attribute values (hex)."""
    from ldap3 import ALL_ATTRIBUTES, SIMPLE, SUBTREE, Connection
    t0 = time.monotonic()
    if bind_dn:
        c = Connection(server(host), user=bind_dn, password=pw, authentication=SIMPLE, receive_timeout=30)
    else:
        c = Connection(server(host), receive_timeout=30)
    c.open()
    c.bind()
    c.search(base, "(objectClass=*)", SUBTREE, attributes=[ALL_ATTRIBUTES])
    entries = [[e["dn"], {a: [v.hex() for v in vs] for a, vs in e["raw_attributes"].items()}]
               for e in c.response if e.get("type") == "searchResEntry"]
    other = [e.get("type") for e in c.response if e.get("type") != "searchResEntry"]
    r = res(c)
    c.unbind()
    out({"result": r, "entries": entries, "other": other, "seconds": round(time.monotonic() - t0, 3)})

cmd, args = sys.argv[1], sys.argv[2:]
{"sessions": sessions, "anonymous": anonymous, "first-op": first_op, "op-after-bind": op_after_bind,
 "raw": raw, "dump": dump}[cmd](*args)
'''


def client(tb, *args, timeout=120):
    """Run CLIENT in pe-client; its JSON output."""
    r = tb.client([PY, "-c", CLIENT, *map(str, args)], timeout=timeout, check=False)
    assert r.returncode == 0, f"client {args[0]}: rc={r.returncode} stderr={r.stderr[-2000:]}"
    return json.loads(r.stdout)


def raw(tb, steps):
    return client(tb, "raw", tb.vip, json.dumps(steps))["log"]


# ---------------------------------------------------------------------------------------------
# BER: just enough to build BindRequests and read LDAPResults.
def bind_request(msg_id, dn, pw):
    """LDAPMessage { messageID, bindRequest { version 3, name dn, simple pw } } (hex)."""
    return ber.bind_request(msg_id, dn, pw).hex()


def read_tlv(b, i):
    tag, ln = b[i], b[i + 1]
    i += 2
    if ln & 0x80:
        k = ln & 0x7F
        ln = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + ln], i + ln


def ldap_result(hexmsg):
    """{"id", "op" (protocolOp tag), "code", "matched", "diag"} of an LDAPMessage carrying an LDAPResult."""
    msg = bytes.fromhex(hexmsg)
    tag, body, end = read_tlv(msg, 0)
    assert tag == 0x30 and end == len(msg), f"not one LDAPMessage: {hexmsg}"
    _, mid, i = read_tlv(body, 0)
    optag, op, _ = read_tlv(body, i)
    _, code, j = read_tlv(op, 0)
    _, matched, j = read_tlv(op, j)
    _, diag, j = read_tlv(op, j)
    return {"id": int.from_bytes(mid, "big"), "op": optag, "code": int.from_bytes(code, "big"),
            "matched": matched.decode(), "diag": diag.decode()}


# ---------------------------------------------------------------------------------------------
# Backends' own access logs (slapd -d stats) and engine telemetry.
_LINE = re.compile(r'conn=(\d+) (?:fd=\d+ ACCEPT from IP=([\d.]+):\d+|fd=\d+ (closed.*)|'
                   r'op=\d+ (BIND|ADD|DEL|MOD|MODRDN|SRCH) (?:dn|base)="([^"]*)"(?: method=\d+| scope=.*)?$)')


class SlapdLog:
    """Backend `name`'s access log from now on. ops() lists, per connection from `peer`
    (default: the engine's source address), its operations [(verb, dn)] and how it closed."""

    def __init__(self, name):
        self.name = name
        self.path = os.path.join(slapd.LOG_DIR, f"{name}-slapd.log")
        self.offset = os.path.getsize(self.path)

    def text(self):
        with open(self.path, errors="replace") as f:
            f.seek(self.offset)
            return f.read()

    def conns(self, peer=topo.ENGINE_SOURCE):
        # slapd's threads log independently: a connection's ACCEPT line may come after its
        # first operation's, so connections are assembled first and filtered by peer after.
        conns = {}
        for line in self.text().splitlines():
            m = _LINE.search(line)
            if not m:
                continue
            cid, ip, closed, verb, dn = m.groups()
            c = conns.setdefault(cid, {"peer": None, "ops": [], "closed": None})
            if ip is not None:
                c["peer"] = ip
            elif closed is not None:
                c["closed"] = closed
            else:
                c["ops"].append((verb, dn))
        return {cid: c for cid, c in conns.items() if peer is None or c["peer"] == peer}

    def ops(self, verb, peer=topo.ENGINE_SOURCE):
        """[dn] of every `verb` operation (BIND, ADD, ...) on connections from `peer`."""
        return [dn for c in self.conns(peer).values() for v, dn in c["ops"] if v == verb]


def rule_counts(tb):
    """/pe/rules as {rule name: count}, whatever the reply's exact shape (dict of counts,
    dict of objects, list of objects)."""
    raw_reply = tb.query("/pe/rules")

    def count(v):
        if isinstance(v, int):
            return v
        if isinstance(v, dict):
            for k in ("count", "hits", "matches", "matched", "value"):
                if isinstance(v.get(k), int):
                    return v[k]
        raise AssertionError(f"/pe/rules: cannot read a count from {v!r} in {raw_reply!r}")

    if isinstance(raw_reply, dict) and isinstance(raw_reply.get("rules"), (list, dict)):
        raw_reply = raw_reply["rules"]
    if isinstance(raw_reply, dict):
        return {k: count(v) for k, v in raw_reply.items()}
    if isinstance(raw_reply, list):
        return {r["name"]: count(r) for r in raw_reply}
    raise AssertionError(f"/pe/rules: unexpected reply {raw_reply!r}")


class Moved:
    """Snapshot of /pe/stats and /pe/rules; delta() says how much each moved since."""

    def __init__(self, tb):
        self.tb = tb
        self.stats0 = tb.stats()
        self.rules0 = rule_counts(tb)

    def stats(self, *names):
        now = self.tb.stats()
        return {n: now.get(n, 0) - self.stats0.get(n, 0) for n in names}

    def rules(self, *names):
        now = rule_counts(self.tb)
        missing = [n for n in names if n not in now]
        assert not missing, f"/pe/rules has no {missing}; it has {sorted(now)}"
        return {n: now[n] - self.rules0.get(n, 0) for n in names}

    def wait_rules(self, want, timeout=10):
        """Wait until every rule moved at least as much as `want`; return the deltas."""
        last = {}
        try:
            self.tb.wait_until(lambda: last.update(self.rules(*want)) or all(
                last[k] >= v for k, v in want.items()), timeout, f"/pe/rules to move by {want}")
        except TimeoutError:
            pass  # the caller's assertion shows what moved
        return dict(last)

    def wait_stats(self, want, timeout=10):
        last = {}
        try:
            self.tb.wait_until(lambda: last.update(self.stats(*want)) or all(
                last[k] >= v for k, v in want.items()), timeout, f"/pe/stats to move by {want}")
        except TimeoutError:
            pass
        return dict(last)


def wait_log(tb, cond, what, timeout=10):
    """Wait for a condition over backend logs; returns its value or None (assert after)."""
    box = {}

    def check():
        box["v"] = cond()
        return box["v"]
    try:
        tb.wait_until(check, timeout, what)
    except TimeoutError:
        pass
    return box.get("v")


def direct_has(tb, backend, dn):
    """Does `backend` (searched directly from pe-client) hold dn?"""
    r = tb.ldapsearch(tb.backend_ip(backend), dn, "1.1", check=False)
    assert r.returncode in (0, 32), f"direct search of {dn} on {backend}: rc={r.returncode} {r.stderr}"
    return r.returncode == 0


@pytest.fixture(scope="module")
def policy(tb):
    """The testbed's engine running ldap-policy.conf for this module."""
    with tb.engine_config(POLICY_CONF):
        stats = tb.stats()
        missing = [n for n in STAT_NAMES if n not in stats]
        assert not missing, f"/pe/stats lacks {missing}"
        yield tb


# ---------------------------------------------------------------------------------------------
def session_specs():
    """100 sessions alternating between the people pool (be1) and the admin pool (be2)."""
    people = [(PAT_DN, PAT_PW), (f"uid=alice,ou=people,{SUFFIX}", "alicepw"),
              (f"uid=bob,ou=people,{SUFFIX}", "bobpw")]
    admin_exact = [(slapd.ROOT_DN, slapd.ROOT_PW), ("CN=Admin,DC=Example,DC=Com", slapd.ROOT_PW)]
    admin_regex = [(OPERATOR_DN, OPERATOR_PW), ("CN=Operator,OU=Admins,dc=example,dc=com", OPERATOR_PW)]
    specs = []
    for i in range(50):
        dn, pw = people[i % len(people)]
        specs.append({"dn": dn, "pw": pw, "pool": "people", "rule": "route_1",
                      "only": [slapd.ONLY_BASE["be1"], slapd.ONLY_BASE["be2"]]})
        dn, pw = (admin_exact + admin_regex)[i % 4]
        specs.append({"dn": dn, "pw": pw, "pool": "admin", "rule": "route_0" if i % 4 < 2 else "route_2",
                      "only": [slapd.ONLY_BASE["be1"], slapd.ONLY_BASE["be2"]]})
    return specs


def test_bind_dn_routing_100_sessions(policy):
    tb = policy
    specs = session_specs()
    logs = {n: SlapdLog(n) for n in tb.backend_names}
    moved = Moved(tb)
    selected0 = tb.backends()
    results = client(tb, "sessions", tb.vip, SUFFIX, json.dumps(specs), 5, timeout=180)
    assert len(results) == len(specs)
    pool_backend = {"people": "be1", "admin": "be2"}
    bad = []
    for spec, r in zip(specs, results):
        want = pool_backend[spec["pool"]]
        if ("error" in r or r["bind"]["result"] != 0 or r["served_by"] != f"served-by {want}"
                or r["only"] != [slapd.ONLY_BASE[want]]):
            bad.append((spec["dn"], want, r))
    assert not bad, f"{len(bad)} of {len(specs)} sessions not served by their pool's backend, first: {bad[:3]}"

    # On the backends: every bind from the engine is in the right backend's log, none in the other's.
    def norm(dn):
        return dn.lower()
    want_binds = {"be1": sorted(norm(s["dn"]) for s in specs if s["pool"] == "people"),
                  "be2": sorted(norm(s["dn"]) for s in specs if s["pool"] == "admin")}

    def binds():
        got = {n: sorted(norm(d) for d in logs[n].ops("BIND")) for n in logs}
        return got if all(len(got[n]) >= len(want_binds[n]) for n in got) else None
    got = wait_log(tb, binds, "the sessions' BINDs in the backends' logs") or \
        {n: sorted(norm(d) for d in logs[n].ops("BIND")) for n in logs}
    for n in logs:
        assert got[n] == want_binds[n], (
            f"{n}'s log: {len(got[n])} BINDs from the engine, expected {len(want_binds[n])}; "
            f"unexpected: {sorted(set(got[n]) - set(want_binds[n]))}, missing: "
            f"{sorted(set(want_binds[n]) - set(got[n]))}")

    after = tb.backends()
    selected = {n: after[n]["selected"] - selected0[n]["selected"] for n in tb.backend_names}
    assert selected == {"be1": 50, "be2": 50}, f"/pe/backends selected moved by {selected}"
    want_rules = {}
    for s in specs:
        want_rules[s["rule"]] = want_rules.get(s["rule"], 0) + 1
    rules = moved.wait_rules(want_rules)
    assert rules == want_rules, f"/pe/rules moved by {rules}, expected {want_rules}"
    others = moved.rules("route_3", "default_pool", "refuse_anonymous", "operation_not_allowed", "malformed")
    assert not any(others.values()), f"rules that should not have moved: {others}"
    st = moved.stats("inspect_messages", "inspect_refuse", "inspect_malformed", "inspect_reset")
    assert st["inspect_messages"] >= 100 * 3, f"inspect_messages moved by {st['inspect_messages']}"
    assert st["inspect_refuse"] == st["inspect_malformed"] == st["inspect_reset"] == 0, st


def test_anonymous_bind_refused(policy):
    tb = policy
    logs = {n: SlapdLog(n) for n in tb.backend_names}
    moved = Moved(tb)

    # ldapsearch: no -D, so a simple bind with an empty name and password
    r = tb.client(["ldapsearch", "-x", "-LLL", "-o", "nettimeout=5", "-H", f"ldap://{tb.vip}", "-s", "base",
                   "-b", SUFFIX, "description"], check=False)
    assert r.returncode == 53, f"ldapsearch rc={r.returncode} (53 expected): {r.stdout!r} {r.stderr!r}"
    assert "Server is unwilling to perform (53)" in r.stderr, r.stderr
    assert REFUSED_ANON in r.stderr, r.stderr
    assert "served-by" not in r.stdout

    # ldap3 anonymous bind
    res = client(tb, "anonymous", tb.vip, SUFFIX)
    assert res["bound"] is False, res
    assert res["bind"]["result"] == 53 and res["bind"]["description"] == "unwillingToPerform", res
    assert res["bind"]["message"] == REFUSED_ANON, res
    assert res["after"] != "ok", f"connection still usable after the refusal: {res}"

    # raw: an unauthenticated simple bind (a name, an empty password), then the connection closes
    log = raw(tb, [["send", bind_request(7, f"uid=alice,ou=people,{SUFFIX}", "")], ["recv"], ["end"]])
    assert "recv" in log[1], f"no BindResponse: {log}"
    resp = ldap_result(log[1]["recv"])
    assert resp == {"id": 7, "op": 0x61, "code": 53, "matched": "", "diag": REFUSED_ANON}, resp
    assert log[2]["end"] in ("eof", "reset"), f"connection not closed after the refusal: {log}"

    rules = moved.wait_rules({"refuse_anonymous": 3})
    assert rules == {"refuse_anonymous": 3}, f"/pe/rules refuse_anonymous moved by {rules}"
    st = moved.stats("inspect_refuse")
    assert st["inspect_refuse"] >= 3, st
    # no anonymous bind reached a backend through the engine
    for n, lg in logs.items():
        binds = lg.ops("BIND")
        assert not [d for d in binds if d == "" or d.lower().startswith("uid=alice")], \
            f"{n} saw binds through the engine: {binds}"


def test_disallowed_operations_refused(policy):
    tb = policy
    target = f"cn=be2-item-1,{slapd.ONLY_BASE['be2']}"
    logs = {n: SlapdLog(n) for n in tb.backend_names}
    moved = Moved(tb)
    base = ["-x", "-o", "nettimeout=5", "-H", f"ldap://{tb.vip}", "-D", slapd.ROOT_DN, "-w", slapd.ROOT_PW]

    r = tb.client(["ldapdelete", *base, target], check=False)
    assert r.returncode == 53, f"ldapdelete rc={r.returncode}: {r.stdout!r} {r.stderr!r}"
    assert "Server is unwilling to perform (53)" in r.stderr, r.stderr
    assert "operation delete not allowed by proxy policy" in r.stderr, r.stderr

    r = tb.client(["ldapmodrdn", *base, target, "cn=be2-item-renamed"], check=False)
    assert r.returncode == 53, f"ldapmodrdn rc={r.returncode}: {r.stdout!r} {r.stderr!r}"
    out = r.stdout + r.stderr  # ldapmodrdn prints "Rename Result: ..." on stdout
    assert "Server is unwilling to perform (53)" in out, out
    assert "operation moddn not allowed by proxy policy" in out, out

    res = client(tb, "op-after-bind", tb.vip, SUFFIX, slapd.ROOT_DN, slapd.ROOT_PW, "delete", target)
    assert res["bound"] is True and res["bind"]["result"] == 0, res
    assert res["op"]["result"] == 53 and res["op"]["description"] == "unwillingToPerform", res
    assert res["op"]["type"] == "delResponse", res
    assert res["op"]["message"] == "operation delete not allowed by proxy policy", res
    assert res["after"] != "ok", f"connection still usable after the refusal: {res}"

    rules = moved.wait_rules({"operation_not_allowed": 3})
    assert rules == {"operation_not_allowed": 3}, f"/pe/rules operation_not_allowed moved by {rules}"
    # the binds reached be2 (admin pool); the delete and moddn never reached any backend
    binds = wait_log(tb, lambda: len(logs["be2"].ops("BIND")) >= 3 and logs["be2"].ops("BIND"),
                     "3 admin binds in be2's log")
    assert binds and len(binds) == 3, f"be2 saw binds {logs['be2'].ops('BIND')}"
    for n, lg in logs.items():
        assert not lg.ops("DEL") and not lg.ops("MODRDN"), f"{n} received {lg.conns()}"
    assert direct_has(tb, "be2", target), f"{target} is gone from be2"


def test_first_operation_routing(policy):
    tb = policy
    logs = {n: SlapdLog(n) for n in tb.backend_names}
    moved = Moved(tb)
    dns = [f"cn=first-op-{uuid.uuid4().hex[:10]},{slapd.ONLY_BASE['be2']}" for _ in range(3)]
    try:
        for dn in dns:
            res = client(tb, "first-op", tb.vip, SUFFIX, "add", dn)
            # slapd refuses anonymous writes itself: strongerAuthRequired (8), "modifications
            # require authentication"; what matters is which backend answered (its log, below)
            assert res["op"]["type"] == "addResponse" and res["op"]["result"] == 8, res
        for _ in range(2):
            res = client(tb, "first-op", tb.vip, SUFFIX, "search", "")
            assert res["op"]["result"] == 0 and res["served_by"] == "served-by be1", res

        adds = wait_log(tb, lambda: len(logs["be2"].ops("ADD")) >= 3 and logs["be2"].ops("ADD"),
                        "3 ADDs in be2's log")
        assert adds and sorted(a.lower() for a in adds) == sorted(d.lower() for d in dns), \
            f"be2 saw ADDs {logs['be2'].ops('ADD')}, expected {dns}"
        assert not logs["be1"].ops("ADD"), f"be1 saw ADDs: {logs['be1'].ops('ADD')}"
        searches = wait_log(tb, lambda: len(logs["be1"].ops("SRCH")) >= 2 and logs["be1"].ops("SRCH"),
                            "2 searches in be1's log")
        assert searches and len(searches) == 2, f"be1 saw searches {logs['be1'].ops('SRCH')}"
        assert not logs["be2"].ops("SRCH"), f"be2 saw searches: {logs['be2'].ops('SRCH')}"
        rules = moved.wait_rules({"route_3": 3, "default_pool": 2})
        assert rules == {"route_3": 3, "default_pool": 2}, f"/pe/rules moved by {rules}"
    finally:
        for dn in dns:  # nothing should exist; make sure
            for n in tb.backend_names:
                tb.client(["ldapdelete", "-x", "-H", f"ldap://{tb.backend_ip(n)}", "-D", slapd.ROOT_DN,
                           "-w", slapd.ROOT_PW, dn], check=False)


# LDAPMessage SEQUENCE with indefinite length (0x80): forbidden in LDAP (RFC 4511 §5.1)
MALFORMED_INDEFINITE = "3080020101600702010304008000" + "0000"
# bindRequest claims 10 bytes, its parent SEQUENCE has 7 left
MALFORMED_PAST_PARENT = "300c020101600a02010304008000"
# unbindRequest (0x42) claims 5 bytes, its parent has 1 left
MALFORMED_PAST_PARENT_2 = "3006020102420541"


def test_malformed_ber_gets_rst_and_engine_keeps_serving(policy):
    tb = policy
    logs = {n: SlapdLog(n) for n in tb.backend_names}
    moved = Moved(tb)

    for name, msg in (("indefinite length", MALFORMED_INDEFINITE), ("past parent", MALFORMED_PAST_PARENT)):
        log = raw(tb, [["send", msg], ["end"]])
        assert log[-1].get("end") == "reset", f"{name}: the client socket did not see ECONNRESET: {log}"
    # mid-session: a good bind (routed to be1), then a malformed message: both sides reset
    log = raw(tb, [["send", bind_request(1, PAT_DN, PAT_PW)], ["recv"],
                   ["send", MALFORMED_PAST_PARENT_2], ["end"]])
    assert "recv" in log[1] and ldap_result(log[1]["recv"])["code"] == 0, f"bind as pat failed: {log}"
    assert log[-1].get("end") == "reset", f"mid-session: the client socket did not see ECONNRESET: {log}"

    st = moved.wait_stats({"inspect_malformed": 3, "rst_sent": 4})
    assert st["inspect_malformed"] == 3, f"inspect_malformed moved by {st}"
    # one RST to the client of each case, and one to be1 for the mid-session case
    assert st["rst_sent"] >= 4, f"rst_sent moved by {st}"
    rules = moved.wait_rules({"malformed": 3})
    assert rules == {"malformed": 3}, f"/pe/rules malformed moved by {rules}"

    # be1 had the mid-session connection: its BIND arrived, the malformed bytes did not, and
    # it ended without an unbind (slapd: "closed (connection lost)", for a RST as for a bare FIN)
    def pat_conn_closed():
        cs = [c for c in logs["be1"].conns().values() if ("BIND", PAT_DN) in c["ops"]]
        return cs if cs and all(c["closed"] for c in cs) else None
    cs = wait_log(tb, pat_conn_closed, "be1 to close the mid-session connection")
    assert cs and len(cs) == 1, f"be1's connections from the engine: {logs['be1'].conns()}"
    assert cs[0]["ops"] == [("BIND", PAT_DN)], f"be1 received more than the bind: {cs[0]}"
    assert "connection lost" in cs[0]["closed"], f"be1's connection was not reset: {cs[0]}"
    assert not logs["be2"].conns(), f"be2 saw connections: {logs['be2'].conns()}"

    # the engine keeps serving
    res = client(tb, "sessions", tb.vip, SUFFIX, json.dumps([{"dn": PAT_DN, "pw": PAT_PW}]), 1)
    assert res[0].get("bind", {}).get("result") == 0 and res[0]["served_by"] == "served-by be1", res
    r = tb.client(["ldapsearch", "-x", "-LLL", "-o", "nettimeout=5", "-H", f"ldap://{tb.vip}", "-D", slapd.ROOT_DN,
                   "-w", slapd.ROOT_PW, "-s", "base", "-b", SUFFIX, "description"], check=False)
    assert r.returncode == 0 and "served-by be2" in r.stdout, f"search after: rc={r.returncode} {r.stdout!r}"
