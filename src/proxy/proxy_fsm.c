/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_tcp.h>

#include "proxy/proxy_fsm.h"

#define SAME PE_FSM_SAME
#define T(a, n) { PE_ACT_ ## a, n }
/* a side on which nothing is acceptable (e.g. the backend before binding) */
#define DROP_ALL { T(DROP, SAME), T(DROP, SAME), T(DROP, SAME), T(DROP, SAME), \
	T(DROP, SAME), T(DROP, SAME), T(DROP, SAME) }

/*
 * [state][side][event], events in enum order:
 *        SYN  SYNACK  ACK  DATA  FIN  RST  UNREACH
 *
 * ICMP unreachable matters only while the backend connects (RFC 1122
 * §4.2.3.9: soft errors must not abort a synchronized connection).
 */
const struct pe_transition pe_fsm[PE_CS_MAX][2][PE_EV_MAX] = {
	[PE_CS_WAIT_DATA] = {
		[PE_SIDE_CLIENT] = { T(CHALLENGE, SAME), T(DROP, SAME), T(ABSORB, SAME),
			T(BIND, PE_CS_CONNECTING), T(BIND, PE_CS_CONNECTING), T(ABORT, PE_CS_RESET),
			T(DROP, SAME) },
		[PE_SIDE_BACKEND] = DROP_ALL,
	},
	[PE_CS_CONNECTING] = {
		[PE_SIDE_CLIENT] = { T(CHALLENGE, SAME), T(DROP, SAME), T(ABSORB, SAME),
			T(HOLD, SAME), T(HOLD, SAME), T(ABORT, PE_CS_RESET), T(DROP, SAME) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(BACKEND_UP, PE_CS_ESTABLISHED),
			T(RST_REPLY, SAME), T(RST_REPLY, SAME), T(RST_REPLY, SAME),
			T(FAILOVER, SAME), T(FAILOVER, SAME) },
	},
	[PE_CS_ESTABLISHED] = {
		[PE_SIDE_CLIENT] = { T(CHALLENGE, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_FIN_CLIENT), T(RST_CHECK, PE_CS_RESET),
			T(DROP, SAME) },
		[PE_SIDE_BACKEND] = { T(CHALLENGE, SAME), T(REACK, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_FIN_BACKEND), T(RST_CHECK, PE_CS_RESET),
			T(DROP, SAME) },
	},
	[PE_CS_FIN_CLIENT] = {
		[PE_SIDE_CLIENT] = { T(CHALLENGE, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RST_CHECK, PE_CS_RESET), T(DROP, SAME) },
		[PE_SIDE_BACKEND] = { T(CHALLENGE, SAME), T(REACK, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_TIME_WAIT), T(RST_CHECK, PE_CS_RESET),
			T(DROP, SAME) },
	},
	[PE_CS_FIN_BACKEND] = {
		[PE_SIDE_CLIENT] = { T(CHALLENGE, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_TIME_WAIT), T(RST_CHECK, PE_CS_RESET),
			T(DROP, SAME) },
		[PE_SIDE_BACKEND] = { T(CHALLENGE, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RST_CHECK, PE_CS_RESET), T(DROP, SAME) },
	},
	[PE_CS_TIME_WAIT] = {
		[PE_SIDE_CLIENT] = { T(RECYCLE, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RST_CHECK, PE_CS_RESET), T(DROP, SAME) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RST_CHECK, PE_CS_RESET), T(DROP, SAME) },
	},
	/*
	 * After an abort, a peer still sending (the RST was lost, or not taken:
	 * its challenge ACK) gets a RST at exactly the ACK it sent, its RCV.NXT.
	 */
	[PE_CS_RESET] = {
		[PE_SIDE_CLIENT] = { T(RECYCLE, SAME), T(DROP, SAME), T(RST_REPLY, SAME),
			T(RST_REPLY, SAME), T(RST_REPLY, SAME), T(DROP, SAME), T(DROP, SAME) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(DROP, SAME), T(RST_REPLY, SAME),
			T(RST_REPLY, SAME), T(RST_REPLY, SAME), T(DROP, SAME), T(DROP, SAME) },
	},
};

enum pe_event
pe_fsm_classify(uint8_t flags, uint16_t payload_len)
{
	if (flags & RTE_TCP_RST_FLAG)
		return PE_EV_RST;
	if (flags & RTE_TCP_SYN_FLAG)
		return (flags & RTE_TCP_ACK_FLAG) ? PE_EV_SYNACK : PE_EV_SYN;
	if (flags & RTE_TCP_FIN_FLAG)
		return PE_EV_FIN;
	return payload_len ? PE_EV_DATA : PE_EV_ACK;
}

const char *const pe_fsm_state_names[PE_CS_MAX] = {
	[PE_CS_WAIT_DATA] = "WAIT_DATA",
	[PE_CS_CONNECTING] = "CONNECTING",
	[PE_CS_ESTABLISHED] = "ESTABLISHED",
	[PE_CS_FIN_CLIENT] = "FIN_CLIENT",
	[PE_CS_FIN_BACKEND] = "FIN_BACKEND",
	[PE_CS_TIME_WAIT] = "TIME_WAIT",
	[PE_CS_RESET] = "RESET",
};

const char *const pe_fsm_event_names[PE_EV_MAX] = {
	[PE_EV_SYN] = "SYN",
	[PE_EV_SYNACK] = "SYNACK",
	[PE_EV_ACK] = "ACK",
	[PE_EV_DATA] = "DATA",
	[PE_EV_FIN] = "FIN",
	[PE_EV_RST] = "RST",
	[PE_EV_UNREACH] = "UNREACH",
};

const char *const pe_fsm_action_names[PE_ACT_MAX] = {
	[PE_ACT_DROP] = "DROP",
	[PE_ACT_ABSORB] = "ABSORB",
	[PE_ACT_BIND] = "BIND",
	[PE_ACT_HOLD] = "HOLD",
	[PE_ACT_BACKEND_UP] = "BACKEND_UP",
	[PE_ACT_REACK] = "REACK",
	[PE_ACT_FAILOVER] = "FAILOVER",
	[PE_ACT_RST_REPLY] = "RST_REPLY",
	[PE_ACT_ABORT] = "ABORT",
	[PE_ACT_RELAY] = "RELAY",
	[PE_ACT_RST_CHECK] = "RST_CHECK",
	[PE_ACT_CHALLENGE] = "CHALLENGE",
	[PE_ACT_RECYCLE] = "RECYCLE",
};
