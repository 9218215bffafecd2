"""PENDING_SCENARIOS: behaviour the engine does not have yet. NOT collected by
the normal run; try them with

    PE_SCENARIOS=pending /usr/bin/python3 -m pytest pytest/test_scenarios.py -q

and move each one into cases.py (SCENARIOS) once the engine does it.
Vocabulary: testbed/scenario.py; shared steps: common.py.

(The scenarios first written here -- options through the cookie, held data,
RFC 5961, failover -- pass with the engine now and live in cases.py.)
"""
from testbed.scenario import Scenario, expect, expect_none, send

from .common import B_ISN, HELLO, first_payload, handshake

N = len(HELLO)
C_NXT = f"isn+1+{N}"

PENDING_SCENARIOS = [
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
