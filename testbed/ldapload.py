"""LDAP session workload for the HAProxy comparison (issue 7): many short, verified sessions.

One session = TCP connect to HOST:PORT, simple BindRequest (messageID 1) as one of the
bind users, BindResponse success (0), one base-scope SearchRequest (messageID 2) of the
bound DN itself asking for "cn", exactly one SearchResultEntry whose objectName is that
DN then SearchResultDone success, UnbindRequest (messageID 3), close.

The bind users alternate between the two pools of the testbed's LDAP routing
(testbed/slapd.py ONLY_USERS): uid=pat,ou=people (only on be1) and
cn=operator,ou=admins (only on be2). Each exists on one backend only, so a session
routed to the wrong backend fails its bind (invalidCredentials) and is counted failed.

Every response is checked: BER framing, messageID, protocolOp tag, resultCode, the entry
DN. Sessions run `concurrency` at a time on asyncio; each has a deadline (timeout_s).

run(host, sessions, concurrency, port=389, timeout_s=10) -> dict
  {"sessions", "ok", "failed", "elapsed_s", "sessions_per_s", "concurrency", "host",
   "client_cpu_s" (this process), "per_user": {dn: ok count}, "errors": {message: count} (at most 10 kinds)}
Command line (inside the client netns):
  ip netns exec pe-client /usr/bin/python3 -m testbed.ldapload HOST [--sessions N]
      [--concurrency C] [--port P] [--timeout S]
prints that dict as one JSON line; exit status 0 if every session succeeded, 1 otherwise.

testbed/ber.py gives tlv() and bind_request(); the SearchRequest and UnbindRequest
builders and the small response decoder are here (ber.py is shared and stays minimal).
"""
import argparse
import asyncio
import json
import resource
import sys
import time

from . import ber, slapd

USERS = (slapd.ONLY_USERS["be1"], slapd.ONLY_USERS["be2"])  # (dn, password), pools people / admin
SEARCH_ATTR = "cn"

TAG_SEQUENCE = 0x30
TAG_INTEGER = 0x02
TAG_OCTETS = 0x04
TAG_ENUM = 0x0A
TAG_BOOL = 0x01
OP_BIND_RESPONSE = 0x61
OP_SEARCH_REQUEST = 0x63
OP_SEARCH_ENTRY = 0x64
OP_SEARCH_DONE = 0x65
OP_SEARCH_REF = 0x73
OP_UNBIND = 0x42
FILTER_PRESENT = 0x87


def _int(value):
    """BER INTEGER contents (two's complement, minimal) of a non-negative int."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def search_request(msg_id, base, attrs=(SEARCH_ATTR,), scope=0):
    """LDAPMessage { messageID, SearchRequest { base, scope (0 base), derefAliases never,
    sizeLimit 0, timeLimit 0, typesOnly FALSE, filter (objectClass=*), attributes } }."""
    body = (ber.tlv(TAG_OCTETS, base.encode()) + ber.tlv(TAG_ENUM, bytes([scope]))
            + ber.tlv(TAG_ENUM, b"\x00") + ber.tlv(TAG_INTEGER, b"\x00") + ber.tlv(TAG_INTEGER, b"\x00")
            + ber.tlv(TAG_BOOL, b"\x00") + ber.tlv(FILTER_PRESENT, b"objectClass")
            + ber.tlv(TAG_SEQUENCE, b"".join(ber.tlv(TAG_OCTETS, a.encode()) for a in attrs)))
    return ber.tlv(TAG_SEQUENCE, ber.tlv(TAG_INTEGER, _int(msg_id)) + ber.tlv(OP_SEARCH_REQUEST, body))


def unbind_request(msg_id):
    """LDAPMessage { messageID, UnbindRequest (NULL, [APPLICATION 2]) }."""
    return ber.tlv(TAG_SEQUENCE, ber.tlv(TAG_INTEGER, _int(msg_id)) + ber.tlv(OP_UNBIND, b""))


class LdapError(Exception):
    pass


def _tlv_at(buf, pos):
    """(tag, content start, content end) of the TLV at buf[pos]; definite lengths only."""
    if pos + 2 > len(buf):
        raise LdapError("truncated TLV")
    tag, first = buf[pos], buf[pos + 1]
    pos += 2
    if first & 0x80:
        k = first & 0x7F
        if k == 0 or k > 4 or pos + k > len(buf):
            raise LdapError(f"bad length form 0x{first:02x}")
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    else:
        n = first
    if pos + n > len(buf):
        raise LdapError("TLV runs past its parent")
    return tag, pos, pos + n


def decode_message(msg):
    """One LDAPMessage -> (messageID, protocolOp tag, [(tag, bytes) of the op's children])."""
    tag, s, e = _tlv_at(msg, 0)
    if tag != TAG_SEQUENCE or e != len(msg):
        raise LdapError(f"not an LDAPMessage (tag 0x{tag:02x})")
    t, a, b = _tlv_at(msg, s)
    if t != TAG_INTEGER:
        raise LdapError("messageID missing")
    msg_id = int.from_bytes(msg[a:b], "big", signed=True)
    op, a, b = _tlv_at(msg, b)
    kids = []
    while a < b:
        t, cs, ce = _tlv_at(msg, a)
        kids.append((t, bytes(msg[cs:ce])))
        a = ce
    return msg_id, op, kids


async def _read_message(reader):
    head = await reader.readexactly(2)
    if head[1] & 0x80:
        k = head[1] & 0x7F
        if k == 0 or k > 4:
            raise LdapError(f"bad length form 0x{head[1]:02x}")
        lb = await reader.readexactly(k)
        return head + lb + await reader.readexactly(int.from_bytes(lb, "big"))
    return head + await reader.readexactly(head[1])


def _check_result(kids, what):
    if not kids or kids[0][0] != TAG_ENUM:
        raise LdapError(f"{what}: no resultCode")
    code = int.from_bytes(kids[0][1], "big")
    if code != 0:
        diag = kids[2][1].decode(errors="replace") if len(kids) > 2 else ""
        raise LdapError(f"{what}: resultCode {code} {diag}".strip())


async def session(host, port, dn, password):
    """One verified session; raises on any deviation."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(ber.bind_request(1, dn, password))
        msg_id, op, kids = decode_message(await _read_message(reader))
        if (msg_id, op) != (1, OP_BIND_RESPONSE):
            raise LdapError(f"bind: got messageID {msg_id} op 0x{op:02x}")
        _check_result(kids, "bind")
        writer.write(search_request(2, dn))
        entries = []
        while True:
            msg_id, op, kids = decode_message(await _read_message(reader))
            if msg_id != 2:
                raise LdapError(f"search: got messageID {msg_id}")
            if op == OP_SEARCH_ENTRY:
                if not kids or kids[0][0] != TAG_OCTETS:
                    raise LdapError("search: entry without objectName")
                entries.append(kids[0][1].decode(errors="replace"))
            elif op == OP_SEARCH_DONE:
                _check_result(kids, "search")
                break
            elif op != OP_SEARCH_REF:
                raise LdapError(f"search: unexpected op 0x{op:02x}")
        if [e.lower() for e in entries] != [dn.lower()]:
            raise LdapError(f"search: entries {entries}, expected [{dn}]")
        writer.write(unbind_request(3))
        await writer.drain()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def _run(host, sessions, concurrency, port, timeout_s):
    next_index = 0
    ok = 0
    per_user = {dn: 0 for dn, _ in USERS}
    errors = {}

    async def worker():
        nonlocal next_index, ok
        while next_index < sessions:
            i = next_index
            next_index += 1
            dn, pw = USERS[i % len(USERS)]
            try:
                await asyncio.wait_for(session(host, port, dn, pw), timeout_s)
                ok += 1
                per_user[dn] += 1
            except Exception as exc:  # counted, reported by kind
                key = f"{type(exc).__name__}: {exc}"[:200]
                if key in errors or len(errors) < 10:
                    errors[key] = errors.get(key, 0) + 1

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, sessions)))))
    elapsed = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return {"host": host, "port": port, "sessions": sessions, "ok": ok, "failed": sessions - ok,
            "concurrency": concurrency, "elapsed_s": round(elapsed, 4),
            "sessions_per_s": round(sessions / elapsed, 1) if elapsed > 0 else None,
            "client_cpu_s": round(client_cpu, 4), "per_user": per_user, "errors": errors}


def run(host, sessions, concurrency=32, port=389, timeout_s=10.0):
    """Run the workload from this process's netns; the result dict (module doc)."""
    if sessions < 0 or concurrency < 1:
        raise ValueError("sessions >= 0 and concurrency >= 1")
    return asyncio.run(_run(host, sessions, concurrency, port, timeout_s))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m testbed.ldapload", description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--port", type=int, default=389)
    ap.add_argument("--timeout", type=float, default=10.0, help="per-session deadline, seconds")
    args = ap.parse_args(argv)
    res = run(args.host, args.sessions, args.concurrency, args.port, args.timeout)
    print(json.dumps(res), flush=True)
    return 0 if res["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
