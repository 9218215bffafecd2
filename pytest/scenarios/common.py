"""Step sequences shared by scenarios (each returns a list of steps).

Naming: the engine's SYN-ACK to connection "a" is captured as "synack" (others
"synack_<conn>"), the backend SYN as "bsyn" ("bsyn_<conn>"). The first payload
is HELLO, so after it the client's next sequence number is isn + 1 + len(HELLO).
"""
from testbed.scenario import expect, send

HELLO = b"hello"          # the client's first payload (5 bytes)
B_ISN = 7000              # ISN the scripted backend uses in its SYN-ACK

# What Linux 6.x puts in a SYN (order as on the wire).
LINUX_SYN_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None),
                     ("WScale", 7)]


def synack_name(conn):
    return "synack" if conn == "a" else f"synack_{conn}"


def bsyn_name(conn):
    return "bsyn" if conn == "a" else f"bsyn_{conn}"


def handshake(conn="a", options=(), pure_ack=True):
    """SYN, the engine's SYN-ACK (cookie) captured, and (pure_ack) the ACK that completes it."""
    sa = synack_name(conn)
    steps = [send("client", "S", seq="isn", options=options, conn=conn),
             expect("client", "SA", ack="isn+1", conn=conn, capture_as=sa)]
    if pure_ack:
        steps.append(send("client", "A", seq="isn+1", ack=f"{sa}.seq+1", conn=conn))
    return steps


def first_payload(conn="a", payload=HELLO):
    """The client's first data segment (acknowledging the cookie)."""
    return [send("client", "PA", seq="isn+1", ack=f"{synack_name(conn)}.seq+1", payload=payload,
                 conn=conn)]


def backend_accepts(conn="a", b_isn=B_ISN, payload=HELLO):
    """The engine's SYN to a backend carries the client's ISN; the backend answers, and the
    held first payload arrives acknowledging the backend's SYN-ACK."""
    return [expect("backend", "S", seq="isn", conn=conn, capture_as=bsyn_name(conn)),
            send("backend", "SA", seq=b_isn, ack="isn+1", conn=conn),
            expect("backend", "PA", seq="isn+1", ack=(b_isn + 1) & 0xFFFFFFFF, payload=payload,
                   conn=conn)]


def backend_acks_payload(conn="a", b_isn=B_ISN, payload=HELLO):
    """The backend acknowledges the first payload; the ACK is relayed to the client."""
    c_nxt = f"isn+1+{len(payload)}"
    return [send("backend", "A", seq=(b_isn + 1) & 0xFFFFFFFF, ack=c_nxt, conn=conn),
            expect("client", "A", seq=f"{synack_name(conn)}.seq+1", ack=c_nxt, conn=conn)]


def established(conn="a", b_isn=B_ISN):
    """Handshake, first payload, backend accepts and acknowledges it: the connection is
    ESTABLISHED with nothing in flight (client next seq isn+1+len(HELLO), backend b_isn+1)."""
    return handshake(conn) + first_payload(conn) + backend_accepts(conn, b_isn) + \
        backend_acks_payload(conn, b_isn)


TS_SYN = 1000             # the client's TSval in its SYN (LINUX_SYN_OPTIONS); +1 per later segment
B_TS = 50000              # the scripted backend's TSval in its SYN-ACK


def ts_opt(val, ecr):
    return [("NOP", None), ("NOP", None), ("Timestamp", (val, ecr))]


def linux_established(backend_options, conn="a", b_isn=B_ISN):
    """A Linux-like client (LINUX_SYN_OPTIONS, TSval 1000, 1001, 1002 ...) through the cookie
    handshake and first payload; the backend answers with `backend_options` (values may be
    expressions, e.g. ("Timestamp", (B_TS, "bsyn.tsval"))) and acknowledges the payload."""
    sa, bs = synack_name(conn), bsyn_name(conn)
    c_nxt = f"isn+1+{len(HELLO)}"
    return [
        send("client", "S", seq="isn", options=LINUX_SYN_OPTIONS, conn=conn),
        expect("client", "SA", ack="isn+1", conn=conn, capture_as=sa),
        send("client", "A", seq="isn+1", ack=f"{sa}.seq+1", options=ts_opt(TS_SYN + 1, f"{sa}.tsval"),
             conn=conn),
        send("client", "PA", seq="isn+1", ack=f"{sa}.seq+1", payload=HELLO,
             options=ts_opt(TS_SYN + 2, f"{sa}.tsval"), conn=conn),
        expect("backend", "S", seq="isn", conn=conn, capture_as=bs),
        send("backend", "SA", seq=b_isn, ack="isn+1", options=backend_options, conn=conn),
        expect("backend", "PA", seq="isn+1", ack=b_isn + 1, payload=HELLO, conn=conn),
        send("backend", "A", seq=b_isn + 1, ack=c_nxt, conn=conn,
             options=ts_opt(B_TS + 1, TS_SYN + 2) if any(o[0] == "Timestamp" for o in backend_options)
             else ()),
        expect("client", "A", seq=f"{sa}.seq+1", ack=c_nxt, conn=conn),
    ]
