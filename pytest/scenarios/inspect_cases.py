"""Scenarios of the inspection path (engine config pytest/scenarios/inspect.conf: the
example line inspector, src/inspect/inspect_lines.c, with pools p1 = [be1], p2 = [be2]).

They pin what the engine does around verdicts, byte by byte: framing across segments,
SELECT, REFUSE, RESET, a length-changing REWRITE and what it does to sequence and
acknowledgment numbers, SACK, retransmissions and data arriving out of order.
"""
from testbed.scenario import Scenario, counters, expect, expect_none, send

from scenarios.common import B_TS, LINUX_SYN_OPTIONS, TS_SYN, ts_opt

B_ISN = 9000
FIRST = b"p1 hello\n"     # first line: selects pool p1 (be1)
C_NXT = f"isn+1+{len(FIRST)}"


def handshake(conn="a"):
    return [send("client", "S", seq="isn", conn=conn),
            expect("client", "SA", ack="isn+1", conn=conn, capture_as="synack"),
            send("client", "A", seq="isn+1", ack="synack.seq+1", conn=conn)]


def established(first=FIRST, backend="be1"):
    """Handshake, the first line, the chosen backend up and acknowledging it."""
    nxt = f"isn+1+{len(first)}"
    return handshake() + [
        send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=first),
        expect("backend", "S", seq="isn", backend=backend, capture_as="bsyn"),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=first, backend=backend),
        send("backend", "A", seq=B_ISN + 1, ack=nxt),
        expect("client", "A", seq="synack.seq+1", ack=nxt),
    ]


def linux_established():
    """established() with Linux's options on both sides (timestamps, SACK, window scale 7):
    the client's TSval is TS_SYN + 2 after it, the backend's B_TS + 1."""
    return [
        send("client", "S", seq="isn", options=LINUX_SYN_OPTIONS),
        expect("client", "SA", ack="isn+1", capture_as="synack"),
        send("client", "A", seq="isn+1", ack="synack.seq+1", options=ts_opt(TS_SYN + 1, "synack.tsval")),
        send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=FIRST,
             options=ts_opt(TS_SYN + 2, "synack.tsval")),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("backend", "SA", seq=B_ISN, ack="isn+1",
             options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (B_TS, "bsyn.tsval")),
                      ("NOP", None), ("WScale", 7)]),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=FIRST),
        send("backend", "A", seq=B_ISN + 1, ack=C_NXT, options=ts_opt(B_TS + 1, TS_SYN + 2)),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT),
    ]


SECRET_IN = b"a secret b\n"          # 11 bytes from the backend ...
SECRET_OUT = b"a [redacted] b\n"     # ... 15 to the client


INSPECT_SCENARIOS = [
    Scenario("lines_first_line_selects_the_pool", doc="""
        The first line's first word names pool p2: the engine connects to be2 only.""",
        steps=handshake() + [
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"p2 hi\n"),
            expect("backend", "S", seq="isn", backend="be2"),
            send("backend", "SA", seq=B_ISN, ack="isn+1"),
            expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=b"p2 hi\n", backend="be2"),
            counters(at_least={"inspect_messages": 1, "inspect_pass": 1}),
        ]),
    Scenario("lines_message_across_segments_is_held_until_complete", doc="""
        Half a line binds nothing and reaches no backend; the rest completes it and the
        backend gets the whole line in one segment.""",
        steps=handshake() + [
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"p1 he"),
            expect_none("backend", within=0.3),
            send("client", "PA", seq="isn+6", ack="synack.seq+1", payload=b"llo\n"),
            expect("backend", "S", seq="isn", backend="be1"),
            send("backend", "SA", seq=B_ISN, ack="isn+1"),
            expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=b"p1 hello\n"),
        ]),
    Scenario("lines_refused_line_gets_the_reply_and_fin", doc="""
        REFUSE before binding: the client gets the reply with a FIN, acknowledging its
        line; no backend is contacted; the client's FIN is acknowledged.""",
        steps=handshake() + [
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"DENY now\n"),
            expect("client", "FPA", seq="synack.seq+1", ack="isn+10", payload=b"-ERR denied\r\n",
                   capture_as="reply"),
            send("client", "FA", seq="isn+10", ack="reply.seq+len(reply.payload)+1"),
            expect("client", "A", seq="reply.seq+len(reply.payload)+1", ack="isn+11"),
            expect_none("backend", within=0.3),
            counters(delta={"inspect_refuse": 1}),
        ]),
    Scenario("lines_nul_byte_resets", doc="""
        RESET verdict on the first line: the client gets a RST, no backend is contacted.""",
        steps=handshake() + [
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"p1 a\x00b\n"),
            expect("client", "R"),
            expect_none("backend", within=0.3),
            counters(delta={"inspect_reset": 1}),
        ]),
    Scenario("lines_rewrite_grows_and_moves_later_sequence_numbers", doc="""
        The backend's 11-byte line reaches the client as 15 bytes; its next line starts 4
        later; the client's ACKs map back: inside the rewrite at most its last byte but one,
        all of it only when the client has all 15 bytes.""",
        steps=established() + [
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=SECRET_IN),
            expect("client", "PA", seq="synack.seq+1", ack=C_NXT, payload=SECRET_OUT),
            send("backend", "PA", seq=B_ISN + 12, ack=C_NXT, payload=b"next\n"),
            expect("client", "PA", seq="synack.seq+16", ack=C_NXT, payload=b"next\n"),
            send("client", "A", seq=C_NXT, ack="synack.seq+15"),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 11),
            send("client", "A", seq=C_NXT, ack="synack.seq+21"),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 17),
            counters(delta={"inspect_rewrite": 1}),
        ]),
    Scenario("lines_retransmitted_rewritten_line_is_resent_identically", doc="""
        The client loses the rewritten line; the backend retransmits its original; the
        client gets the same rewritten bytes again, not a second rewrite.""",
        steps=established() + [
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=SECRET_IN),
            expect("client", "PA", seq="synack.seq+1", payload=SECRET_OUT),
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=SECRET_IN),
            expect("client", "PA", seq="synack.seq+1", payload=SECRET_OUT, repeat=True),
            counters(delta={"inspect_rewrite": 1}, at_least={"stream_resent": 1}),
        ]),
    Scenario("lines_out_of_order_line_waits_for_the_gap", doc="""
        The second line arrives first: held, and a duplicate ACK tells the backend what is
        missing; once the first arrives the client gets both, in order.""",
        steps=established() + [
            send("backend", "PA", seq=B_ISN + 5, ack=C_NXT, payload=b"two\n"),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 1),
            expect_none("client", within=0.2),
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=b"one\n"),
            expect("client", "PA", seq="synack.seq+1", payload=b"one\n"),
            expect("client", "PA", seq="synack.seq+5", payload=b"two\n"),
            counters(delta={"stream_ooo_held": 1}),
        ]),
    Scenario("lines_backend_line_split_over_segments_is_sent_whole", doc="""
        A backend line in two segments reaches the client as one segment once complete;
        the backend's first half is not acknowledged before that.""",
        steps=established() + [
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=b"hel"),
            expect_none("client", within=0.2),
            send("backend", "PA", seq=B_ISN + 4, ack=C_NXT, payload=b"lo\n"),
            expect("client", "PA", seq="synack.seq+1", payload=b"hello\n"),
        ]),
    Scenario("lines_refusal_after_binding_resets_the_backend", doc="""
        A refused line on a bound connection: the backend gets a RST, the client the
        reply with a FIN after the output it already had.""",
        steps=established() + [
            send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"DENY x\n"),
            expect("backend", "R"),
            expect("client", "FPA", seq="synack.seq+1", ack=f"{C_NXT}+7", payload=b"-ERR denied\r\n"),
            counters(delta={"inspect_refuse": 1}),
        ]),
    Scenario("lines_incomplete_message_times_out", doc="""
        Half a line and nothing more for inspect.hold_ms (1 s): the engine acknowledges what it
        holds, then on_limit reset: the client gets a RST and no backend is contacted.""",
        steps=handshake() + [
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"p1 never ends"),
            expect("client", "A", seq="synack.seq+1", ack="isn+14"),
            expect("client", "R", within=2.5),
            expect_none("backend", within=0.2),
            counters(delta={"inspect_limit_reset": 1}),
        ]),
    Scenario("lines_message_over_the_size_limit_resets", doc="""
        4 x 1100 bytes without a newline pass inspect.max_message_bytes (4096): reset. The
        first three are acknowledged as they are held.""",
        steps=handshake() + [
            step for i in range(4) for step in
            [send("client", "PA", seq=f"isn+1+{i * 1100}", ack="synack.seq+1", payload=b"x" * 1100)]
            + ([expect("client", "A", ack=f"isn+1+{(i + 1) * 1100}")] if i < 3 else [])] + [
            expect("client", "R"),
            counters(delta={"inspect_limit_reset": 1}),
        ]),
    Scenario("lines_fin_follows_the_last_output", doc="""
        The backend's last line and FIN in one segment: the client gets the rewritten line,
        then the FIN after it (seq moved by the growth).""",
        steps=established() + [
            send("backend", "FPA", seq=B_ISN + 1, ack=C_NXT, payload=SECRET_IN),
            expect("client", "PA", seq="synack.seq+1", payload=SECRET_OUT),
            expect("client", "FA", seq=f"synack.seq+1+{len(SECRET_OUT)}"),
        ]),
    Scenario("lines_sack_toward_the_sender_is_the_engines_own", doc="""
        SACK on both sides. A line arriving beyond a gap is held and SACKed to the backend by
        the engine (so the backend resends the gap at once); the client's SACK blocks are about
        the engine's output, which the engine resends itself: they never reach the backend.
        A half line held in order is acknowledged by the engine.""",
        steps=linux_established() + [
            # "two" beyond a gap: held, SACKed
            send("backend", "PA", seq=B_ISN + 5, ack=C_NXT, payload=b"two\n",
                 options=ts_opt(B_TS + 2, TS_SYN + 2)),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 1, options_include=[("SAck", (B_ISN + 5, B_ISN + 9))]),
            # the gap filled: both lines go on, in order
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=b"one\n",
                 options=ts_opt(B_TS + 3, TS_SYN + 2)),
            expect("client", "PA", seq="synack.seq+1", payload=b"one\n"),
            expect("client", "PA", seq="synack.seq+5", payload=b"two\n"),
            # the client SACKs the second: the backend gets the ACK without the block
            send("client", "A", seq=C_NXT, ack="synack.seq+1",
                 options=ts_opt(TS_SYN + 3, "synack.tsval+4") + [("NOP", None), ("NOP", None),
                                                                  ("SAck", ("synack.seq+5", "synack.seq+9"))]),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 1, options_exclude=["SAck"]),
            # half a line, held in order: acknowledged by the engine
            send("backend", "PA", seq=B_ISN + 9, ack=C_NXT, payload=b"hal",
                 options=ts_opt(B_TS + 4, TS_SYN + 3)),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 12),
            counters(at_least={"stream_held_acked": 1, "stream_ooo_held": 1}),
        ]),
    Scenario("lines_retransmission_of_acknowledged_output_gets_an_ack", doc="""
        The client has all of the rewritten line and acknowledged it, but the backend missed
        that ACK and retransmits: the engine answers with the ACK, nothing goes to the client.""",
        steps=established() + [
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=SECRET_IN),
            expect("client", "PA", seq="synack.seq+1", payload=SECRET_OUT),
            send("client", "A", seq=C_NXT, ack="synack.seq+16"),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 12),
            send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=SECRET_IN),
            expect("backend", "A", seq=C_NXT, ack=B_ISN + 12),
            expect_none("client", within=0.2),
        ]),
    Scenario("lines_client_sack_gets_the_hole_resent_at_once", doc="""
        The client lost the first of three rewritten lines and SACKs the other two: the
        engine resends the kept first line at once, from its own copy, without waiting for a
        timeout or a retransmission from the backend; a second identical SACK resends nothing.""",
        steps=linux_established() + [step for i, line in enumerate([SECRET_IN, b"two\n", b"three\n"]) for step in [
            send("backend", "PA", seq=B_ISN + 1 + [0, 11, 15][i], ack=C_NXT, payload=line,
                 options=ts_opt(B_TS + 2 + i, TS_SYN + 2)),
            expect("client", "PA", payload=[SECRET_OUT, b"two\n", b"three\n"][i])]] + [
            send("client", "A", seq=C_NXT, ack="synack.seq+1",
                 options=ts_opt(TS_SYN + 3, "synack.tsval+4") + [("NOP", None), ("NOP", None),
                                                                  ("SAck", ("synack.seq+16", "synack.seq+26"))]),
            expect("client", "PA", seq="synack.seq+1", payload=SECRET_OUT, repeat=True, within=0.1),
            send("client", "A", seq=C_NXT, ack="synack.seq+1",
                 options=ts_opt(TS_SYN + 4, "synack.tsval+4") + [("NOP", None), ("NOP", None),
                                                                  ("SAck", ("synack.seq+16", "synack.seq+26"))]),
            expect_none("client", within=0.1),
            counters(delta={"stream_sack_resent": 1}),
        ]),
    Scenario("lines_held_bytes_retransmitted_are_acked_again", doc="""
        The engine's ACK of half a line is lost: the client retransmits the half, and the
        engine ACKs it again (a sender in loss recovery waits for that ACK).""",
        steps=handshake() + [
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"p1 he"),
            expect("client", "A", seq="synack.seq+1", ack="isn+6"),
            send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=b"p1 he"),
            expect("client", "A", seq="synack.seq+1", ack="isn+6"),
            send("client", "PA", seq="isn+6", ack="synack.seq+1", payload=b"llo\n"),
            expect("backend", "S", seq="isn", backend="be1"),
        ]),
    Scenario("lines_nothing_after_the_fin_is_taken", doc="""
        Bytes a client sends after its own FIN are not inspected nor sent on; the FIN is.""",
        steps=established() + [
            send("client", "FPA", seq=C_NXT, ack="synack.seq+1", payload=b"bye\n"),
            expect("backend", "PA", seq=C_NXT, payload=b"bye\n"),
            expect("backend", "FA", seq=f"{C_NXT}+4"),
            send("backend", "A", seq=B_ISN + 1, ack=f"{C_NXT}+5"),
            expect("client", "A", seq="synack.seq+1", ack=f"{C_NXT}+5"),
            send("client", "PA", seq=f"{C_NXT}+5", ack="synack.seq+1", payload=b"p1 sneaky\n"),
            expect_none("backend", within=0.3),
        ]),
]
