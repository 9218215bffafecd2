"""SCENARIOS: what the engine does, one small case each (run by
pytest/test_scenarios.py). Vocabulary: testbed/scenario.py; shared step
sequences: common.py. Engine config: engine.conf (idle 1.5 s, connect 1 s,
linger 0.2 s, hold-down 0.8 s, backend_tries default 3; be1/be2 played by
scapy, be3 dead). Values in quotes are expressions (isn = the connection's
client ISN, captures by name). Expected values follow DESIGN.md §4 and the
README; where a number is a design choice (timers, rounding) the doc says so.
"""
from testbed.scenario import (Scenario, check, counters, expect, expect_none, flood, icmp_unreach, send,
                              wait_counter)

from .common import (B_ISN, B_TS, HELLO, LINUX_SYN_OPTIONS, TS_SYN, backend_accepts, established,
                     first_payload, handshake, linux_established, ts_opt)

N = len(HELLO)  # after the first payload the client's next sequence number is isn + 1 + N
C_NXT = f"isn+1+{N}"
TS_ACK = TS_SYN + 1  # the client's TSval in its ACK

# backend SYN-ACK options: everything (window scale 2, unlike the client's 7) / no SACK
BACKEND_ALL = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (B_TS, "bsyn.tsval")), ("NOP", None),
               ("WScale", 2)]
BACKEND_NO_SACK = [("MSS", 1460), ("Timestamp", (B_TS, "bsyn.tsval")), ("NOP", None), ("WScale", 7)]

# After established(): the client closes, the backend closes, the client ACKs the backend's
# FIN; each segment relayed (the entry then lingers in TIME_WAIT).
CLOSE_CLIENT_FIRST = [
    send("client", "FA", seq=C_NXT, ack="synack.seq+1"),
    expect("backend", "FA", seq=C_NXT, ack=B_ISN + 1),
    send("backend", "FA", seq=B_ISN + 1, ack=f"{C_NXT}+1"),
    expect("client", "FA", seq="synack.seq+1", ack=f"{C_NXT}+1"),
    send("client", "A", seq=f"{C_NXT}+1", ack="synack.seq+2"),
    expect("backend", "A", seq=f"{C_NXT}+1", ack=B_ISN + 2),
]

# After linux_established(): the backend sends two 4-byte segments and the client
# acknowledges the first and SACKs the second (in the numbers the client sees).
CLIENT_SACKS_SECOND_SEGMENT = [
    send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=b"aaaa", options=ts_opt(B_TS + 3, TS_SYN + 2)),
    expect("client", "PA", seq="synack.seq+1", payload=b"aaaa"),
    send("backend", "PA", seq=B_ISN + 5, ack=C_NXT, payload=b"bbbb", options=ts_opt(B_TS + 4, TS_SYN + 2)),
    expect("client", "PA", seq="synack.seq+5", payload=b"bbbb"),
    send("client", "A", seq=C_NXT, ack="synack.seq+1",
         options=ts_opt(TS_SYN + 3, "synack.tsval+4") + [("NOP", None), ("NOP", None),
                                                          ("SAck", ("synack.seq+5", "synack.seq+9"))]),
]
DATA_1000 = bytes(i % 251 for i in range(1000))

SCENARIOS = []

# ---- SYN cookies and the handshake ---------------------------------------------------------

SCENARIOS += [
    Scenario("syn_without_options_gets_mss_only", doc="""
        A SYN without options is answered with a cookie SYN-ACK carrying only MSS;
        no state is created.""", steps=[
        send("client", "S", seq="isn"),
        expect("client", "SA", ack="isn+1", options=[("MSS", 1460)]),
        counters(delta={"syn_rx": 1, "synack_cookie_sent": 1, "conn_created": 0},
                 values={"conn_active": 0}),
    ]),

    Scenario("linux_syn_gets_full_options_and_cookie_restores_them", doc="""
        A Linux-like SYN (MSS, SACK-permitted, timestamps, window scale) gets a
        SYN-ACK offering all four, echoing the client's TSval; the ACK echoes our
        TSval (which encodes wscale/SACK for the cookie), and the engine's SYN to the
        backend then offers them too.""", steps=[
        send("client", "S", seq="isn", options=LINUX_SYN_OPTIONS),
        expect("client", "SA", ack="isn+1", options_include=[("MSS", 1460), "SAckOK", "Timestamp", "WScale"],
               tsecr=1000, capture_as="synack"),
        send("client", "A", seq="isn+1", ack="synack.seq+1",
             options=[("NOP", None), ("NOP", None), ("Timestamp", (TS_ACK, "synack.tsval"))]),
        send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=HELLO,
             options=[("NOP", None), ("NOP", None), ("Timestamp", (TS_ACK + 1, "synack.tsval"))]),
        expect("backend", "S", seq="isn", options_include=["MSS", "SAckOK", "Timestamp", "WScale"],
               capture_as="bsyn"),
        counters(delta={"cookie_ok": 1, "drop_cookie_bad": 0}),
    ]),

    Scenario("syn_with_timestamps_disabled_by_client_gets_mss_only", doc="""
        Without the client's timestamps the cookie cannot carry wscale/SACK: the
        SYN-ACK offers MSS only (like Linux's SYN cookies), whatever the SYN offered.""",
        steps=[
        send("client", "S", seq="isn", options=[("MSS", 1460), ("SAckOK", b""), ("NOP", None),
                                                ("WScale", 7)]),
        expect("client", "SA", ack="isn+1", options=["MSS"]),
    ]),

    Scenario("retransmitted_syn_gets_same_cookie", doc="""
        The same SYN twice (same tuple, same ISN) gets the same cookie: the SYN-ACK
        is a pure function of the SYN (within one 64 s cookie period).""", steps=[
        send("client", "S", seq="isn"),
        expect("client", "SA", ack="isn+1", capture_as="synack"),
        send("client", "S", seq="isn"),
        expect("client", "SA", seq="synack.seq", ack="isn+1", repeat=True),
        counters(delta={"syn_rx": 2, "synack_cookie_sent": 2, "conn_created": 0}),
    ]),

    Scenario("cookie_ack_creates_entry_pure_ack_absorbed", doc="""
        The ACK returning the cookie creates the entry (WAIT_DATA); the engine sends
        nothing back and nothing to a backend until data arrives.""", steps=[
        *handshake(),
        expect_none("client", within=0.2),
        expect_none("backend", within=0.01),
        counters(delta={"cookie_ok": 1, "conn_created": 1, "state_wait_data": 1, "backend_syn_sent": 0},
                 values={"conn_active": 1}),
    ]),

    Scenario("syn_on_a_time_wait_tuple_starts_a_new_connection", doc="""
        After both FINs, while the entry lingers in TIME_WAIT, a new SYN from the same
        port (new ISN) is answered with a fresh cookie and its handshake completes.""",
        steps=[
        *established(),
        *CLOSE_CLIENT_FIRST,
        send("client", "S", seq="isn+100000"),
        expect("client", "SA", ack="isn+100001", capture_as="synack2"),
        send("client", "A", seq="isn+100001", ack="synack2.seq+1"),
        wait_counter("cookie_ok", delta=2),
        counters(delta={"conn_created": 2}),
    ]),

    Scenario("forged_cookie_ack_gets_rst", doc="""
        An ACK whose acknowledgment number is no cookie of ours gets a RST (seq = its
        ack) and creates nothing.""", steps=[
        send("client", "A", seq="isn+1", ack=0x5EED0001),
        expect("client", "R", seq=0x5EED0001, ack=0),
        counters(delta={"drop_cookie_bad": 1, "rst_sent": 1, "conn_created": 0, "cookie_ok": 0}),
    ]),

    Scenario("cookie_replayed_on_another_tuple_rejected", doc="""
        A valid cookie (with its ISN) sent from another client port is rejected; the
        connection it was issued to still completes.""", steps=[
        *handshake(pure_ack=False),
        send("client", "A", seq="synack.ack", ack="synack.seq+1", conn="b"),
        expect("client", "R", seq="synack.seq+1", conn="b"),
        counters(delta={"drop_cookie_bad": 1, "cookie_ok": 0}),
        send("client", "A", seq="isn+1", ack="synack.seq+1"),
        wait_counter("cookie_ok", delta=1),
        counters(delta={"conn_created": 1}, values={"conn_active": 1}),
    ]),

    Scenario("syn_to_other_port_gets_rst_ack", doc="""
        A SYN to a port the VIP does not serve gets RST-ACK acknowledging it.""", steps=[
        send("client", "S", seq="isn", dport=80),
        expect("client", "RA", seq=0, ack="isn+1"),
        counters(delta={"drop_tcp_port": 1, "syn_rx": 0, "synack_cookie_sent": 0}),
    ]),

    Scenario("syn_flood_leaves_no_state", doc="""
        3000 SYNs from distinct ports are each answered with a correct cookie SYN-ACK
        and leave no connection state.""", steps=[
        flood(3000),
        counters(delta={"syn_rx": 3000, "synack_cookie_sent": 3000, "conn_created": 0, "cookie_ok": 0},
                 values={"conn_active": 0}),
    ]),
]

# ---- Delayed binding, held data, backend handshake and failover ----------------------------

SCENARIOS += [
    Scenario("first_payload_binds_backend_syn_reuses_client_isn", doc="""
        The first payload makes the engine pick a backend and send it a SYN from its
        source address with the client's own ISN and an MSS option; the client's data
        is not acknowledged by the engine itself.""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", ack=0, options_include=["MSS"], capture_as="bsyn"),
        check("bsyn.src == '198.18.1.2' and bsyn.dport == 389", "SYN from the source address to port 389"),
        check("20000 <= bsyn.sport <= 60999", "local port in source_port_min..max"),
        check("bsyn.backend in ('be1', 'be2')", "a live backend was chosen"),
        expect_none("client", within=0.1),
        counters(delta={"state_connecting": 1, "backend_selected": 1, "backend_syn_sent": 1}),
    ]),

    Scenario("payload_in_the_handshake_ack_binds_at_once", doc="""
        The cookie ACK may carry the first payload itself (no separate pure ACK).""", steps=[
        *handshake(pure_ack=False),
        *first_payload(),
        *backend_accepts(),
        counters(delta={"cookie_ok": 1, "state_wait_data": 1, "state_connecting": 1,
                        "state_established": 1, "backend_connected": 1}),
    ]),

    Scenario("first_payload_with_fin_binds_and_is_delivered_with_it", doc="""
        A request and the half-close in one segment (P, F): it binds like any first
        payload and reaches the backend whole, FIN included.""", steps=[
        *handshake(),
        send("client", "FPA", seq="isn+1", ack="synack.seq+1", payload=HELLO),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "FPA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        send("backend", "A", seq=B_ISN + 1, ack=f"{C_NXT}+1"),
        expect("client", "A", seq="synack.seq+1", ack=f"{C_NXT}+1"),
        counters(delta={"state_connecting": 1, "state_fin_client": 1}),
    ]),

    Scenario("bare_fin_before_any_payload_gets_rst", doc="""
        A client that closes right after the handshake, without sending anything, is
        answered with a RST; no backend is contacted and the entry is freed.""", steps=[
        *handshake(),
        send("client", "FA", seq="isn+1", ack="synack.seq+1"),
        expect("client", "R", seq="synack.seq+1"),
        expect_none("backend", within=0.1),
        counters(delta={"conn_closed_empty": 1, "backend_syn_sent": 0}, values={"conn_active": 0}),
    ]),

    Scenario("data_overtaking_the_first_payload_does_not_reset", doc="""
        ENGINE BUG (found by test_transfer's 20 MiB upload under faults, ~1 run in 40):
        after the SYN-ACK the client sends its ACK and several data segments at once;
        if a later segment overtakes the first (loss or reordering), it reaches the
        engine before any entry exists, fails the cookie check (which takes seq - 1 as
        the client ISN), and the engine answers with a RST at the client's
        RCV.NXT, which kills the client's connection. A segment beyond the first
        must not reset it: drop it (the client retransmits) or hold it.""", steps=[
        *handshake(pure_ack=False),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"world"),
        expect_none("client", within=0.2),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"world"),
        expect("backend", "PA", seq=C_NXT, ack=B_ISN + 1, payload=b"world"),
        counters(delta={"rst_sent": 0, "conn_created": 1}),
    ]),

    Scenario("first_payload_retransmitted_while_connecting_sent_once", doc="""
        The client retransmits its first payload while the backend connects: the
        backend gets it once after its SYN-ACK, not twice (fixed in ef90b09).""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        *first_payload(),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        send("backend", "A", seq=B_ISN + 1, ack=C_NXT),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT),
        expect_none("backend", within=0.3),
    ]),

    Scenario("data_while_connecting_is_held_and_delivered_in_order", doc="""
        Client data sent after the first payload but before the backend's SYN-ACK is
        held (not dropped, not sent early) and delivered in order after it.""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"world"),
        expect_none("backend", within=0.15),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        expect("backend", "PA", seq=C_NXT, ack=B_ISN + 1, payload=b"world"),
        send("backend", "A", seq=B_ISN + 1, ack=f"{C_NXT}+5"),
        expect("client", "A", seq="synack.seq+1", ack=f"{C_NXT}+5"),
        counters(at_least={"held_segments": 2}),
    ]),

    Scenario("client_fin_while_connecting_delivered_after_the_data", doc="""
        The client sends its request and closes (FIN) before the backend answers:
        both are held and delivered in order.""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("client", "FA", seq=C_NXT, ack="synack.seq+1"),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        expect("backend", "FA", seq=C_NXT, ack=B_ISN + 1),
        send("backend", "A", seq=B_ISN + 1, ack=f"{C_NXT}+1"),
        expect("client", "A", seq="synack.seq+1", ack=f"{C_NXT}+1"),
        counters(delta={"state_fin_client": 1}),
    ]),

    Scenario("held_data_retransmitted_until_the_backend_acks_it", doc="""
        The engine owns the held payload it sent after the backend's SYN-ACK: unacked,
        it is sent again after tcp.rto_ms (200 ms); once acknowledged, no more.""", steps=[
        *handshake(),
        *first_payload(),
        *backend_accepts(),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO, repeat=True, within=1.0,
               capture_as="r1"),
        send("backend", "A", seq=B_ISN + 1, ack=C_NXT),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT),
        expect_none("backend", within=0.6),
        counters(delta={"held_retx": 1}),
    ]),

    Scenario("backend_synack_with_wrong_ack_gets_rst_then_syn_retried", doc="""
        A SYN-ACK that does not acknowledge our SYN (e.g. an old incarnation) gets a
        RST (seq = its ack); the SYN retransmitted 250 ms later then succeeds.""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("backend", "SA", seq=9000, ack="isn+100"),
        expect("backend", "R", seq="isn+100"),
        expect("backend", "S", seq="isn", repeat=True, within=1.0, capture_as="bsyn2"),
        check("bsyn2.t - bsyn.t >= 0.2", "retransmission after the 250 ms timer"),
        check("bsyn2.sport == bsyn.sport and bsyn2.backend == bsyn.backend", "same flow"),
        send("backend", "SA", seq=9000, ack="isn+1"),
        expect("backend", "PA", seq="isn+1", ack=9001, payload=HELLO),
        counters(delta={"drop_tcp_state": 1, "backend_connected": 1, "backend_syn_retx": 1}),
    ]),

    Scenario("retransmitted_backend_synack_gets_our_ack_again", doc="""
        The backend did not get the held data acknowledging its SYN-ACK and sends the
        SYN-ACK again: the engine ACKs it again at the client's next sequence number.""",
        steps=[
        *established(),
        send("backend", "SA", seq=B_ISN, ack="isn+1"),
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1),
        expect_none("client", within=0.1),
    ]),

    Scenario("backend_refuses_next_backend_serves", doc="""
        The chosen backend refuses our SYN: the engine tries the next one (same client
        ISN, new flow), which serves the connection; the client sees nothing of it.""",
        steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="s1"),
        send("backend", "RA", seq=0, ack="isn+1", reply_to="s1"),
        expect("backend", "S", seq="isn", capture_as="s2", repeat=True),
        check("s2.backend != s1.backend", "the SYN went to another backend"),
        send("backend", "SA", seq=B_ISN, ack="isn+1", reply_to="s2"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO, capture_as="held"),
        check("held.backend == s2.backend and held.sport == s2.sport", "data on the new flow"),
        expect_none("client", within=0.1),
        counters(delta={"backend_refused": 1, "backend_failover": 1, "backend_connected": 1}),
    ]),

    Scenario("silent_backend_syn_retransmitted_then_next_backend_serves", doc="""
        A backend that never answers gets our SYN at 0, 250 and 750 ms; at the 1750 ms
        timer (connect_ms = 1000 exceeded) the engine gives up on it and sends the
        same SYN (client ISN) to the other live backend, which serves.""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="s1"),
        expect("backend", "S", seq="isn", repeat=True, within=1.0, capture_as="s2"),
        expect("backend", "S", seq="isn", repeat=True, within=1.5, capture_as="s3"),
        expect("backend", "S", seq="isn", repeat=True, within=2.0, capture_as="s4"),
        check("s2.sport == s3.sport == s1.sport and s2.backend == s3.backend == s1.backend",
              "retransmissions on the first flow"),
        check("s4.backend != s1.backend", "then a SYN to the other backend"),
        check("0.2 <= s2.t - s1.t <= 0.45", "first retransmission after 250 ms"),
        check("0.4 <= s3.t - s2.t <= 0.75", "second after another 500 ms"),
        check("1.0 <= s4.t - s1.t <= 2.3", "given up at the timer after connect_ms"),
        send("backend", "SA", seq=B_ISN, ack="isn+1", reply_to="s4"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO, capture_as="held"),
        check("held.sport == s4.sport and held.backend == s4.backend", "data on the new flow"),
        expect_none("client", within=0.05),
        counters(delta={"backend_timeout": 1, "backend_failover": 1, "backend_syn_retx": 2,
                        "backend_syn_sent": 4, "backend_connected": 1}),
    ]),

    Scenario("backend_unreachable_icmp_next_backend_serves", doc="""
        The backend's host answers our SYN with ICMP port unreachable quoting it: the
        engine gives up on that backend at once (no SYN retransmission) and sends the
        same SYN to the other live backend, which serves.""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="s1"),
        icmp_unreach(code=3),
        expect("backend", "S", seq="isn", repeat=True, within=0.2, capture_as="s2"),
        check("s2.backend != s1.backend", "the SYN goes to the other backend"),
        send("backend", "SA", seq=B_ISN, ack="isn+1", reply_to="s2"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        counters(delta={"icmp_unreach_rx": 1, "backend_unreachable": 1, "backend_failover": 1,
                        "backend_syn_retx": 0, "backend_connected": 1}),
    ]),

    Scenario("icmp_unreachable_for_an_established_flow_is_ignored", doc="""
        An ICMP error about a synchronized connection is a soft error (RFC 1122
        4.2.3.9, RFC 5927): counted, the session goes on.""", steps=[
        *established(),
        icmp_unreach(code=3),
        send("client", "PA", seq=f"isn+1+{len(HELLO)}", ack="synack.seq+1", payload=b"more"),
        expect("backend", "PA", seq=f"isn+1+{len(HELLO)}", ack=B_ISN + 1, payload=b"more"),
        counters(delta={"icmp_unreach_rx": 1, "drop_icmp_stale": 1, "backend_unreachable": 0}),
    ]),

    Scenario("zero_window_probe_passes_and_data_resumes", doc="""
        The backend closes its window (win 0); the client's 1-byte window probe at the
        right edge passes to the backend (the engine does not judge it out of window),
        then the backend opens the window and the rest flows.""", steps=[
        *established(),
        send("backend", "A", seq=B_ISN + 1, ack=f"isn+1+{len(HELLO)}", win=0),
        expect("client", "A", seq="synack.seq+1", ack=f"isn+1+{len(HELLO)}", win=0),
        send("client", "A", seq=f"isn+1+{len(HELLO)}", ack="synack.seq+1", payload=b"p"),
        expect("backend", "A", seq=f"isn+1+{len(HELLO)}", ack=B_ISN + 1, payload=b"p"),
        send("backend", "A", seq=B_ISN + 1, ack=f"isn+1+{len(HELLO)}+1", win=4096),
        expect("client", "A", seq="synack.seq+1", ack=f"isn+1+{len(HELLO)}+1"),
        send("client", "PA", seq=f"isn+1+{len(HELLO)}+1", ack="synack.seq+1", payload=b"rest"),
        expect("backend", "PA", seq=f"isn+1+{len(HELLO)}+1", ack=B_ISN + 1, payload=b"rest"),
        counters(delta={"drop_out_of_window": 0}),
    ]),

    Scenario("half_close_data_flows_the_other_way", doc="""
        The client sends its FIN (half-close); the backend keeps sending data, which
        the client keeps acknowledging, then closes too.""", steps=[
        *established(),
        send("client", "FA", seq=f"isn+1+{len(HELLO)}", ack="synack.seq+1"),
        expect("backend", "FA", seq=f"isn+1+{len(HELLO)}", ack=B_ISN + 1),
        send("backend", "PA", seq=B_ISN + 1, ack=f"isn+2+{len(HELLO)}", payload=b"reply-1"),
        expect("client", "PA", seq="synack.seq+1", ack=f"isn+2+{len(HELLO)}", payload=b"reply-1"),
        send("client", "A", seq=f"isn+2+{len(HELLO)}", ack="synack.seq+8"),
        expect("backend", "A", seq=f"isn+2+{len(HELLO)}", ack=B_ISN + 8),
        send("backend", "PA", seq=B_ISN + 8, ack=f"isn+2+{len(HELLO)}", payload=b"reply-2"),
        expect("client", "PA", seq="synack.seq+8", ack=f"isn+2+{len(HELLO)}", payload=b"reply-2"),
        send("backend", "FA", seq=B_ISN + 15, ack=f"isn+2+{len(HELLO)}"),
        expect("client", "FA", seq="synack.seq+15", ack=f"isn+2+{len(HELLO)}"),
        send("client", "A", seq=f"isn+2+{len(HELLO)}", ack="synack.seq+16"),
        expect("backend", "A", seq=f"isn+2+{len(HELLO)}", ack=B_ISN + 16),
        wait_counter("conn_active", value=0, within=2.0),
    ]),

    Scenario("every_live_backend_refuses_then_client_rst", refuse="all", doc="""
        Both live backends refuse the same connection in turn (be3 is dead); with both
        held down, the third try (engine.backend_tries = 3) fails open to the one whose
        hold-down ends first, which refuses too: the client gets a RST.""", steps=[
        *handshake(),
        *first_payload(),
        expect("client", "R", seq="synack.seq+1", within=3.0),
        counters(delta={"backend_refused": 3, "backend_failover": 2, "backend_fail_open": 1,
                        "backend_connected": 0}),
        wait_counter("conn_active", value=0, within=2.0),
    ]),

    Scenario("all_backends_refusing_client_gets_rst", refuse="all", doc="""
        Every backend SYN is refused (RST-ACK, answered automatically): the client
        ends with a RST, however many backends the engine tries.""", steps=[
        *handshake(),
        *first_payload(),
        expect("client", "R", seq="synack.seq+1", within=3.0),
        counters(at_least={"backend_refused": 1}, delta={"backend_connected": 0}),
    ]),

    Scenario("all_backends_in_holddown_fail_open", refuse=("a", "b"), doc="""
        Connections a and b are refused by every backend they try, so both live
        backends are held down (0.8 s) and be3 is dead (no MAC). Connection c is not
        refused: it fails open to the backend whose hold-down ends first and is served
        (backend_fail_open); no_backend is kept for when no backend has a MAC.""", steps=[
        *handshake("a"), *first_payload("a"),
        expect("client", "R", seq="synack.seq+1", conn="a", within=3.0),
        *handshake("b"), *first_payload("b"),
        expect("client", "R", seq="synack_b.seq+1", conn="b", within=3.0),
        *handshake("c"), *first_payload("c"),
        expect("backend", "S", seq="isn", conn="c", capture_as="cs"),
        send("backend", "SA", seq=B_ISN, ack="isn+1", conn="c"),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO, conn="c"),
        counters(at_least={"backend_fail_open": 1, "backend_refused": 2}, delta={"no_backend": 0}),
    ]),

    Scenario("client_rst_while_connecting_resets_backend", doc="""
        The client aborts while the engine is connecting to the backend: the backend
        gets a RST (at the client ISN + 1, the sequence number after our SYN).""", steps=[
        *handshake(),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("client", "R", seq=C_NXT),
        expect("backend", "R", seq="isn+1"),
        expect_none("client", within=0.1),
        counters(delta={"state_reset": 1, "rst_sent": 1}),
        wait_counter("conn_active", value=0, within=2.0),
    ]),
]

# ---- Relaying: sequence numbers, options, windows, segment sizes ---------------------------

SCENARIOS += [
    Scenario("splice_relays_both_ways_with_translated_seq", doc="""
        After the backend's SYN-ACK the held payload is relayed (acking the backend's
        ISN + 1); then data flows both ways, backend->client sequence numbers shifted
        onto the cookie's, client->backend ones unchanged.""", steps=[
        *established(),
        send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=b"world"),
        expect("client", "PA", seq="synack.seq+1", ack=C_NXT, payload=b"world"),
        send("client", "A", seq=C_NXT, ack="synack.seq+1+5"),
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1 + 5),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1+5", payload=b"more"),
        expect("backend", "PA", seq=C_NXT, ack=B_ISN + 1 + 5, payload=b"more"),
        counters(delta={"backend_connected": 1, "state_established": 1, "relayed_c2b": 3,
                        "relayed_b2c": 2}),
    ]),

    Scenario("splice_across_sequence_wrap", doc="""
        A backend ISN just below 2**32: translated numbers wrap correctly.""", steps=[
        *established(b_isn=0xFFFFFFFD),
        send("backend", "PA", seq=0xFFFFFFFE, ack=C_NXT, payload=b"wrap!"),
        expect("client", "PA", seq="synack.seq+1", ack=C_NXT, payload=b"wrap!"),
        send("client", "A", seq=C_NXT, ack="synack.seq+1+5"),
        expect("backend", "A", seq=C_NXT, ack=(0xFFFFFFFE + 5) & 0xFFFFFFFF),
    ]),

    Scenario("client_isn_across_the_sequence_wrap", isn={"a": 0xFFFFFFFD}, doc="""
        A client ISN 3 below 2**32: the cookie ACK (seq 0xFFFFFFFE), the held payload
        (wrapping to 3) and later data cross the wrap intact.""", steps=[
        *established(),
        send("client", "PA", seq=(0xFFFFFFFD + 1 + N) & 0xFFFFFFFF, ack="synack.seq+1", payload=b"wrapped"),
        expect("backend", "PA", seq=(0xFFFFFFFD + 1 + N) & 0xFFFFFFFF, ack=B_ISN + 1, payload=b"wrapped"),
        send("backend", "A", seq=B_ISN + 1, ack=(0xFFFFFFFD + 1 + N + 7) & 0xFFFFFFFF),
        expect("client", "A", seq="synack.seq+1", ack=(0xFFFFFFFD + 1 + N + 7) & 0xFFFFFFFF),
        check("bsyn.seq == 0xFFFFFFFD", "the backend SYN carries the client ISN"),
    ]),

    Scenario("timestamps_translated_both_ways", doc="""
        The client sees the backend's TSvals on the engine's clock: it continues the
        SYN-ACK's TSval (synack.tsval + the milliseconds since + the backend's clock
        advance), so it never runs backwards from anything the engine sent before; the
        backend sees its own TSvals echoed, the client's TSvals pass unchanged.""", steps=[
        *linux_established(BACKEND_ALL),
        send("backend", "PA", seq=B_ISN + 1, ack=C_NXT, payload=b"world", options=ts_opt(B_TS + 10, TS_SYN + 2)),
        expect("client", "PA", seq="synack.seq+1", ack=C_NXT, payload=b"world",
               options_include=[("Timestamp", (None, TS_SYN + 2))], capture_as="w"),
        check("0 <= (w.tsval - synack.tsval - 10) % 2**32 <= 1000 * (w.t - synack.t) + 2",
              "backend TSval + 10 continues the SYN-ACK's millisecond clock"),
        send("client", "A", seq=C_NXT, ack="synack.seq+6", options=ts_opt(TS_SYN + 3, "w.tsval")),
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 6, options_include=[("Timestamp", (TS_SYN + 3, B_TS + 10))]),
    ]),

    Scenario("held_data_echoes_the_backends_synack_tsval", doc="""
        The backend answers 50 ms after our SYN. The held payload's TSecr (the client
        echoed the SYN-ACK's TSval) must reach the backend as exactly the TSval of the
        backend's SYN-ACK: Linux drops a handshake-completing segment whose TSecr is
        older than the SYN-ACK it sent (the engine's clock moved on meanwhile).""", steps=[
        send("client", "S", seq="isn", options=LINUX_SYN_OPTIONS),
        expect("client", "SA", ack="isn+1", capture_as="synack"),
        send("client", "A", seq="isn+1", ack="synack.seq+1", options=ts_opt(TS_SYN + 1, "synack.tsval")),
        expect_none("client", within=0.05),
        send("client", "PA", seq="isn+1", ack="synack.seq+1", payload=HELLO,
             options=ts_opt(TS_SYN + 2, "synack.tsval")),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        expect_none("backend", within=0.05),
        send("backend", "SA", seq=B_ISN, ack="isn+1", options=BACKEND_ALL),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO,
               options_include=[("Timestamp", (TS_SYN + 2, B_TS))]),
    ]),

    Scenario("window_rescaled_between_different_scales", doc="""
        Client window scale 7, backend 2: a backend window of 1024 (4096 bytes) reaches
        the client as 32 (<< 7); the backend was offered the client's own scale, so the
        client's windows pass unchanged.""", steps=[
        *linux_established(BACKEND_ALL),
        send("backend", "A", seq=B_ISN + 1, ack=C_NXT, win=1024, options=ts_opt(B_TS + 2, TS_SYN + 2)),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT, win=32),
        send("client", "A", seq=C_NXT, ack="synack.seq+1", win=100, options=ts_opt(TS_SYN + 3, "synack.tsval")),
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1, win=100),
    ]),

    Scenario("sack_blocks_shifted_into_the_backend_sequence_space", doc="""
        Both sides SACK: a client SACK block about backend data reaches the backend
        in the backend's own sequence numbers.""", steps=[
        *linux_established(BACKEND_ALL),
        *CLIENT_SACKS_SECOND_SEGMENT,
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1, options_include=[("SAck", (B_ISN + 5, B_ISN + 9))]),
    ]),

    Scenario("sack_stripped_toward_a_backend_without_sack", doc="""
        The backend did not offer SACK: SACK blocks from the client are removed
        (replaced by NOPs) before the segment reaches it.""", steps=[
        *linux_established(BACKEND_NO_SACK),
        *CLIENT_SACKS_SECOND_SEGMENT,
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1, options_exclude=["SAck"]),
    ]),

    Scenario("client_ack_of_unsent_data_dropped", doc="""
        RFC 5961 §5.2: a client segment acknowledging data the backend never sent is
        dropped, not relayed.""", steps=[
        *established(),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1000", payload=b"x"),
        expect_none("backend", within=0.2),
        counters(delta={"drop_out_of_window": 1, "relayed_c2b": 1}),
    ]),

    Scenario("backend_data_beyond_the_client_window_dropped", doc="""
        A backend segment far beyond the client's window is dropped, not relayed.""", steps=[
        *established(),
        send("backend", "PA", seq=B_ISN + 1 + 0x20000000, ack=C_NXT, payload=b"x"),
        expect_none("client", within=0.2),
        counters(delta={"drop_out_of_window": 1}),
    ]),

    Scenario("client_segment_split_for_a_backend_with_smaller_mss", doc="""
        Client MSS 1460, backend MSS 536: a 1000-byte client segment reaches the
        backend as 536 + 464 bytes, consecutive, PSH on the last piece only.""", steps=[
        *handshake(options=[("MSS", 1460)]),
        *first_payload(),
        expect("backend", "S", seq="isn", capture_as="bsyn"),
        send("backend", "SA", seq=B_ISN, ack="isn+1", options=[("MSS", 536)]),
        expect("backend", "PA", seq="isn+1", ack=B_ISN + 1, payload=HELLO),
        send("backend", "A", seq=B_ISN + 1, ack=C_NXT),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=DATA_1000),
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1, payload=DATA_1000[:536]),
        expect("backend", "PA", seq=f"{C_NXT}+536", ack=B_ISN + 1, payload=DATA_1000[536:]),
        counters(delta={"segments_split": 2}),
    ]),

    Scenario("client_data_beyond_the_window_dropped", doc="""
        A client segment far beyond the backend's advertised window is dropped, not
        relayed; in-window data still is.""", steps=[
        *established(),
        send("client", "PA", seq=f"{C_NXT}+0x10000000", ack="synack.seq+1", payload=b"blind"),
        expect_none("backend", within=0.2),
        counters(delta={"drop_out_of_window": 1}),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"fine"),
        expect("backend", "PA", seq=C_NXT, payload=b"fine"),
    ]),
]

# ---- RFC 5961: blind RST and SYN -----------------------------------------------------------

SCENARIOS += [
    Scenario("exact_client_rst_is_relayed_and_kills_the_session", doc="""
        A client RST at exactly the next expected sequence number is relayed to the
        backend and the entry is freed after linger.""", steps=[
        *established(),
        send("client", "R", seq=C_NXT),
        expect("backend", "R", seq=C_NXT),
        counters(delta={"rst_relayed_c2b": 1, "state_reset": 1}),
        wait_counter("conn_active", value=0, within=2.0),
    ]),

    Scenario("client_rst_at_its_snd_nxt_accepted_while_held_data_unacked", doc="""
        RFC 5961 with held data: the backend has not acknowledged the payload yet, so
        the client's RST at its SND.NXT (isn+1+len) is exact and resets both sides.""",
        steps=[
        *handshake(),
        *first_payload(),
        *backend_accepts(),
        send("client", "R", seq=C_NXT),
        expect("backend", "R", seq=C_NXT),
        expect_none("client", within=0.1),
        counters(delta={"rst_relayed_c2b": 1, "challenge_ack_sent": 0}),
        wait_counter("conn_active", value=0, within=2.0),
    ]),

    Scenario("exact_rst_after_unacked_client_data_is_relayed", doc="""
        The client sent data the backend has not acknowledged yet; its RST at its own
        SND.NXT (after that data) is exact and relayed.""", steps=[
        *established(),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"abc"),
        expect("backend", "PA", seq=C_NXT, payload=b"abc"),
        send("client", "R", seq=f"{C_NXT}+3"),
        expect("backend", "R", seq=f"{C_NXT}+3"),
        counters(delta={"rst_relayed_c2b": 1, "challenge_ack_sent": 0}),
    ]),

    Scenario("backend_rst_is_relayed_to_the_client", doc="""
        An exact RST from the backend reaches the client at the client's next expected
        sequence number.""", steps=[
        *established(),
        send("backend", "R", seq=B_ISN + 1),
        expect("client", "R", seq="synack.seq+1"),
        counters(delta={"rst_relayed_b2c": 1, "state_reset": 1}),
        wait_counter("conn_active", value=0, within=2.0),
    ]),

    Scenario("inexact_rst_before_any_payload_gets_challenge_ack", doc="""
        RFC 5961 also before binding: an inexact RST in WAIT_DATA earns a challenge
        ACK and the entry stays.""", steps=[
        *handshake(),
        send("client", "R", seq="isn+100"),
        expect("client", "A", seq="synack.seq+1", ack="isn+1"),
        counters(delta={"challenge_ack_sent": 1}, values={"conn_active": 1}),
    ]),

    Scenario("syn_before_any_payload_gets_challenge_ack", doc="""
        RFC 5961 §4 in WAIT_DATA: a SYN on the tuple (other ISN) gets a challenge ACK,
        the entry stays.""", steps=[
        *handshake(),
        send("client", "S", seq="isn+50000"),
        expect("client", "A", seq="synack.seq+1", ack="isn+1"),
        counters(delta={"challenge_ack_sent": 1}, values={"conn_active": 1}),
    ]),

    Scenario("rst_in_window_not_exact_gets_challenge_ack_and_session_survives", doc="""
        RFC 5961 §3: a client RST inside the window but not at the next expected
        sequence number gets a challenge ACK; the session goes on.""", steps=[
        *established(),
        send("client", "R", seq=f"{C_NXT}+1000"),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT),
        expect_none("backend", within=0.2),
        counters(delta={"challenge_ack_sent": 1, "rst_relayed_c2b": 0}),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"still here"),
        expect("backend", "PA", seq=C_NXT, ack=B_ISN + 1, payload=b"still here"),
    ]),

    Scenario("backend_rst_in_window_not_exact_gets_challenge_ack", doc="""
        The same check on the backend side: an inexact in-window RST from the backend
        is answered with a challenge ACK toward the backend, nothing reaches the client.""",
        steps=[
        *established(),
        send("backend", "R", seq=B_ISN + 1 + 1000),
        expect("backend", "A", seq=C_NXT, ack=B_ISN + 1),
        expect_none("client", within=0.2),
        counters(delta={"challenge_ack_sent": 1, "rst_relayed_b2c": 0}),
    ]),

    Scenario("rst_out_of_window_ignored", doc="""
        RFC 5961 §3: a RST outside the window is dropped silently; the session goes on.""",
        steps=[
        *established(),
        send("client", "R", seq=f"{C_NXT}+0x40000000"),
        expect_none("backend", within=0.2),
        expect_none("client", within=0.01),
        counters(delta={"drop_rst_out_of_window": 1, "rst_relayed_c2b": 0, "challenge_ack_sent": 0}),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"still here"),
        expect("backend", "PA", seq=C_NXT, ack=B_ISN + 1, payload=b"still here"),
    ]),

    Scenario("syn_in_established_gets_challenge_ack", doc="""
        RFC 5961 §4: a SYN on an established tuple (any sequence number) gets a
        challenge ACK and does not disturb the session.""", steps=[
        *established(),
        send("client", "S", seq="isn+5000"),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT),
        expect_none("backend", within=0.2),
        counters(delta={"challenge_ack_sent": 1}, values={"conn_active": 1}),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"still here"),
        expect("backend", "PA", seq=C_NXT, ack=B_ISN + 1, payload=b"still here"),
    ]),
]

# ---- Closing and timers --------------------------------------------------------------------

SCENARIOS += [
    Scenario("fins_both_ways_then_entry_freed_after_linger", doc="""
        Client FIN, backend FIN, last ACK: each relayed; the entry lingers
        (linger_ms) in TIME_WAIT and is freed.""", steps=[
        *established(),
        *CLOSE_CLIENT_FIRST,
        counters(delta={"fin_relayed_c2b": 1, "fin_relayed_b2c": 1, "state_fin_client": 1,
                        "state_time_wait": 1}),
        wait_counter("conn_active", value=0, within=2.0),
        counters(delta={"conn_freed": 1}),
    ]),

    Scenario("backend_closes_first_then_client_entry_freed", doc="""
        Backend FIN first (FIN_BACKEND), then the client's FIN, then the backend's last
        ACK: all relayed; the entry lingers and is freed.""", steps=[
        *established(),
        send("backend", "FA", seq=B_ISN + 1, ack=C_NXT),
        expect("client", "FA", seq="synack.seq+1", ack=C_NXT),
        send("client", "FA", seq=C_NXT, ack="synack.seq+2"),
        expect("backend", "FA", seq=C_NXT, ack=B_ISN + 2),
        send("backend", "A", seq=B_ISN + 2, ack=f"{C_NXT}+1"),
        expect("client", "A", seq="synack.seq+2", ack=f"{C_NXT}+1"),
        counters(delta={"state_fin_backend": 1, "state_time_wait": 1, "fin_relayed_b2c": 1,
                        "fin_relayed_c2b": 1}),
        wait_counter("conn_active", value=0, within=2.0),
    ]),

    Scenario("idle_timeout_resets_both_sides", doc="""
        An established connection without traffic for idle_ms (1.5 s) is reset on
        both sides at their next sequence numbers, and its entry is freed.""", steps=[
        *handshake(),
        *first_payload(),
        *backend_accepts(),
        send("backend", "A", seq=B_ISN + 1, ack=C_NXT),
        expect("client", "A", seq="synack.seq+1", ack=C_NXT, capture_as="last"),
        expect("client", "R", seq="synack.seq+1", within=3.5, capture_as="crst"),
        expect("backend", "R", seq=C_NXT, within=0.5),
        expect_none("backend", within=0.1),
        check("1.4 <= crst.t - last.t <= 2.5", "reset after idle_ms without traffic"),
        counters(delta={"idle_timeout": 1}, values={"conn_active": 0}),
    ]),

    Scenario("traffic_keeps_the_idle_timer_from_firing", doc="""
        Segments every 0.6 s keep a connection alive past idle_ms (1.5 s); silence
        then resets it 1.5 s after the last one.""", steps=[
        *established(),
        send("client", "PA", seq=C_NXT, ack="synack.seq+1", payload=b"1"),
        expect("backend", "PA", seq=C_NXT, payload=b"1"),
        expect_none("client", within=0.6),
        send("client", "PA", seq=f"{C_NXT}+1", ack="synack.seq+1", payload=b"2"),
        expect("backend", "PA", seq=f"{C_NXT}+1", payload=b"2"),
        expect_none("client", within=0.6),
        send("client", "PA", seq=f"{C_NXT}+2", ack="synack.seq+1", payload=b"3"),
        expect("backend", "PA", seq=f"{C_NXT}+2", payload=b"3", capture_as="last"),
        expect_none("client", within=0.6),
        send("backend", "A", seq=B_ISN + 1, ack=f"{C_NXT}+3"),
        expect("client", "A", seq="synack.seq+1", ack=f"{C_NXT}+3", capture_as="last"),
        counters(delta={"idle_timeout": 0}),
        expect("client", "R", seq="synack.seq+1", within=2.5, capture_as="crst"),
        check("1.4 <= crst.t - last.t <= 2.2", "reset idle_ms after the last segment"),
    ]),

    Scenario("handshake_without_data_reset_after_idle", doc="""
        A client that completes the handshake and never sends gets a RST after
        idle_ms; no backend is ever contacted.""", steps=[
        *handshake(),
        expect("client", "R", seq="synack.seq+1", within=2.5),
        expect_none("backend", within=0.01),
        counters(delta={"idle_timeout": 1, "backend_syn_sent": 0}, values={"conn_active": 0}),
    ]),
]
