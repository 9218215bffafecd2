/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONN_TYPES_H
#define PE_CONN_TYPES_H

#include <stdint.h>

/*
 * A proxied connection has two halves, each found by its own 4-tuple:
 *
 *   client c:cport --> VIP:vport  [engine]  source:lport --> backend b:bport
 *            side CLIENT                             side BACKEND
 *
 * Keys are as seen on received packets: remote = packet source, local =
 * packet destination, all in network byte order.
 */
enum pe_side {
	PE_SIDE_CLIENT = 0,
	PE_SIDE_BACKEND = 1,
};

struct pe_conn_key {
	uint32_t raddr;
	uint32_t laddr;
	uint16_t rport;
	uint16_t lport;
	/*
	 * Always zero (every key is built by an initializer). 16 bytes is a
	 * length rte_hash compares with SSE instead of memcmp(): perf under
	 * load had memcmp at 5 % of the engine's samples.
	 */
	uint32_t pad;
};

/* States of a proxied connection; see the transition table in proxy/proxy_fsm.c. */
enum pe_conn_state {
	PE_CS_WAIT_DATA,    /* client handshake done (cookie), no payload yet */
	PE_CS_CONNECTING,   /* first payload held, SYN sent to the backend */
	PE_CS_ESTABLISHED,  /* relaying both ways */
	PE_CS_FIN_CLIENT,   /* client sent FIN, backend not yet */
	PE_CS_FIN_BACKEND,  /* backend sent FIN, client not yet */
	PE_CS_TIME_WAIT,    /* both sent FIN: relay late segments, then free */
	PE_CS_RESET,        /* aborted: absorb late segments, then free */
	PE_CS_MAX
};

#endif /* PE_CONN_TYPES_H */
