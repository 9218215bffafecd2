/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PROXY_FSM_H
#define PE_PROXY_FSM_H

#include <stdint.h>

#include "conn/conn_types.h"

/*
 * The proxy's state machine as a table (house rule 5):
 * pe_fsm[state][side][event] names the action to run and the state to enter
 * when the action succeeds. DPDK-free, so every cell is unit-tested.
 */
enum pe_event {
	PE_EV_SYN,
	PE_EV_SYNACK,
	PE_EV_ACK,      /* no payload, no FIN */
	PE_EV_DATA,
	PE_EV_FIN,      /* with or without payload */
	PE_EV_RST,
	PE_EV_UNREACH,  /* ICMP destination unreachable about this half */
	PE_EV_MAX
};

enum pe_action {
	PE_ACT_DROP,        /* not acceptable in this state: count and drop */
	PE_ACT_ABSORB,      /* nothing to do (e.g. a pure ACK before binding) */
	PE_ACT_BIND,        /* first payload (FIN may come with it): choose a backend, hold it, SYN */
	PE_ACT_HOLD,        /* client data while the backend connects: held, sent once it is up */
	PE_ACT_BACKEND_UP,  /* backend SYN-ACK: send what is held */
	PE_ACT_REACK,       /* retransmitted backend SYN-ACK: ACK again */
	PE_ACT_FAILOVER,    /* backend refused or unreachable: try the next one, else RST the client */
	PE_ACT_RST_REPLY,   /* segment that must not go on: RST <SEQ=SEG.ACK> (RFC 9293 SYN-SENT; after an abort) */
	PE_ACT_ABORT,       /* client RST before the backend is up (checked as RFC 5961) */
	PE_ACT_RELAY,       /* translate and forward to the other side */
	PE_ACT_RST_CHECK,   /* RST while relaying: RFC 5961 §3 (exact: relay; in window: challenge ACK) */
	PE_ACT_CHALLENGE,   /* SYN on a synchronized connection: challenge ACK (RFC 5961 §4) */
	PE_ACT_RECYCLE,     /* new SYN on a closed tuple: free the old entry, answer with a cookie */
	PE_ACT_MAX
};

#define PE_FSM_SAME PE_CS_MAX  /* "next" value: stay in the current state */

struct pe_transition {
	uint8_t action;  /* enum pe_action */
	uint8_t next;    /* enum pe_conn_state, or PE_FSM_SAME */
};

extern const struct pe_transition pe_fsm[PE_CS_MAX][2][PE_EV_MAX];

/* Event of a segment with TCP @flags and @payload_len bytes of payload. */
enum pe_event pe_fsm_classify(uint8_t flags, uint16_t payload_len);

/* Names for logs, telemetry and tests. */
extern const char *const pe_fsm_state_names[PE_CS_MAX];
extern const char *const pe_fsm_event_names[PE_EV_MAX];
extern const char *const pe_fsm_action_names[PE_ACT_MAX];

#endif /* PE_PROXY_FSM_H */
