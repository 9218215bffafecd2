"""PENDING_SCENARIOS: behaviour the engine does not have yet. NOT collected by
the normal run; try them with

    PE_SCENARIOS=pending /usr/bin/python3 -m pytest pytest/test_scenarios.py -q

and move each one into cases.py (SCENARIOS) once the engine does it.
Vocabulary: testbed/scenario.py; shared steps: common.py.

(The scenarios first written here -- options through the cookie, held data,
RFC 5961, failover -- pass with the engine now and live in cases.py.)
"""
from testbed.scenario import Scenario, counters, expect, expect_none, send

from .common import B_ISN, HELLO, first_payload, handshake

N = len(HELLO)
C_NXT = f"isn+1+{N}"

PENDING_SCENARIOS = [
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
        backend gets it once after its SYN-ACK, not twice.""", steps=[
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
]
