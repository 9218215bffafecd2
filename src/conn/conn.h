/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONN_H
#define PE_CONN_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_timer.h>

struct rte_mbuf;

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
};

/* States of a proxied connection; see the transition table in proxy/proxy.c. */
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

struct pe_conn {
	struct pe_conn_key key[2];     /* by enum pe_side */
	struct rte_ether_addr c_mac;   /* next hop toward the client */
	struct rte_ether_addr b_mac;   /* backend's MAC, from ARP */
	uint8_t state;                 /* enum pe_conn_state */
	uint8_t be_idx;                /* backend in pe_eng.cfg.backends */
	uint8_t syn_tries;             /* SYNs sent to the backend */
	uint8_t has_backend_key;       /* key[PE_SIDE_BACKEND] is in the table */
	uint16_t c_mss;                /* client's MSS (cookie class) */
	/*
	 * Sequence spaces. The engine's SYN to the backend reuses the client's
	 * ISN, so client->backend sequence numbers pass unchanged (d_c2b = 0);
	 * backend->client numbers move by d_b2c = e_isn - b_isn.
	 */
	uint32_t c_isn;                /* client's ISN */
	uint32_t e_isn;                /* engine's ISN toward the client (the cookie) */
	uint32_t b_isn;                /* backend's ISN */
	uint32_t d_c2b;
	uint32_t d_b2c;
	uint32_t nxt[2];               /* by sender side: next sequence number it will send, own space */
	uint64_t last_seen;            /* TSC of the last segment, either side */
	uint64_t syn_first;            /* TSC of the first SYN to the backend */
	struct rte_mbuf *held;         /* first payload while CONNECTING */
	struct rte_timer timer;
};

struct pe_conn_table;

/* Create a table of @max connections for the calling lcore. NULL + rte_errno. */
struct pe_conn_table *pe_conn_table_create(const char *name, uint32_t max, int socket);
void pe_conn_table_destroy(struct pe_conn_table *t);

/* A zeroed entry, or NULL when the table is full. Its timer is initialised. */
struct pe_conn *pe_conn_alloc(struct pe_conn_table *t);

/* Make @c findable by c->key[side]. 0 or -errno. */
int pe_conn_insert(struct pe_conn_table *t, struct pe_conn *c, enum pe_side side);

/* The connection owning @key, its side in *@side; NULL if none. */
struct pe_conn *pe_conn_lookup(struct pe_conn_table *t, const struct pe_conn_key *key,
		enum pe_side *side);

/* Remove @c's keys, stop its timer, free its held mbuf, return it to the pool. */
void pe_conn_release(struct pe_conn_table *t, struct pe_conn *c);

/* Entries in use. */
uint32_t pe_conn_count(const struct pe_conn_table *t);

#endif /* PE_CONN_H */
