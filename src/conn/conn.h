/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONN_H
#define PE_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "conn/conn_types.h"
#include "conn/hold.h"
#include "conn/stream.h"
#include "core/timerheap.h"

/*
 * What the engine knows of one direction of a connection, by sender side s
 * (all sequence numbers in s's own space):
 *
 *   nxt      next sequence number s will send (highest seen + length)
 *   rcv_nxt  highest acknowledgment s's peer sent for s's data: its RCV.NXT
 *   right    highest right window edge s's peer advertised (rcv_nxt + window)
 *   max_wnd  largest window (bytes) s's peer advertised
 *   ts_recent  last timestamp value s sent
 *   win_to   last window field the engine sent toward s (as sent)
 */
struct pe_conn_dir {
	uint32_t nxt;
	uint32_t rcv_nxt;
	uint32_t right;
	uint32_t max_wnd;
	uint32_t ts_recent;
	uint16_t win_to;
};

/* Per-connection flags */
#define PE_CF_BACKEND_KEY  0x01   /* key[PE_SIDE_BACKEND] is in the table */
#define PE_CF_TS_C         0x02   /* timestamps negotiated with the client */
#define PE_CF_TS_B         0x04   /* ... and with the backend */
#define PE_CF_SACK_C       0x08   /* SACK negotiated with the client */
#define PE_CF_SACK_B       0x10
#define PE_CF_WS_C         0x20   /* window scaling in effect with the client */

struct pe_conn {
	struct pe_conn_key key[2];     /* by enum pe_side */
	struct rte_ether_addr c_mac;   /* next hop toward the client */
	struct rte_ether_addr b_mac;   /* backend's MAC, from ARP */
	uint8_t state;                 /* enum pe_conn_state */
	uint8_t be_idx;                /* backend in pe_eng.cfg.backends */
	uint8_t syn_tries;             /* SYNs sent to this backend */
	uint8_t be_tries;              /* backends tried */
	uint8_t flags;                 /* PE_CF_* */
	uint8_t retx;                  /* retransmissions of held data so far */
	/*
	 * Window scale shifts: c_ws the client's (also offered to the backend).
	 * The shift a window field carries from side s is ws_in[s] (the
	 * backend's own is ws_in[PE_SIDE_BACKEND]); the one the engine must
	 * write toward side s is ws_out[s] (the engine's toward the client is
	 * ws_out[PE_SIDE_CLIENT]); 0 where scaling is not in effect.
	 */
	uint8_t c_ws;
	uint8_t ws_in[2];
	uint8_t ws_out[2];
	uint16_t c_mss;                /* client's MSS (cookie class) */
	uint16_t b_mss;                /* backend's MSS: longer client segments are split */
	/*
	 * Sequence spaces. The engine's SYN to the backend reuses the client's
	 * ISN, so client->backend sequence numbers pass unchanged (d_c2b = 0);
	 * backend->client numbers move by d_b2c = e_isn - b_isn. Timestamps
	 * likewise: the client's pass unchanged, the backend's move by d_ts so
	 * they continue the clock of the engine's SYN-ACK (e_ts).
	 */
	uint32_t c_isn;                /* client's ISN */
	uint32_t e_isn;                /* engine's ISN toward the client (the cookie) */
	uint32_t b_isn;                /* backend's ISN */
	uint32_t d_c2b;
	uint32_t d_b2c;
	uint32_t e_ts;                 /* TSval of the engine's SYN-ACK */
	uint32_t ts_off;               /* engine's timestamp clock toward this client: ms clock + ts_off */
	uint32_t challenge_ms;         /* when the last challenge ACK left (ms clock; 0: never) */
	uint32_t d_ts;
	uint32_t b_ts;                 /* TSval of the backend's SYN-ACK: the oldest TSecr it takes */
	struct pe_conn_dir dir[2];     /* by sender side */
	/*
	 * What relaying a segment from side s does to the checksums through
	 * its addresses and ports, which are the same for every segment of the
	 * connection (pe_csum_diff32()): ip_diff[s] for the IPv4 header,
	 * tuple_diff[s] for the TCP pseudo-header and ports. Set with the
	 * backend key.
	 */
	uint32_t ip_diff[2];
	uint32_t tuple_diff[2];
	uint64_t last_seen;            /* TSC of the last segment, either side */
	uint64_t syn_first;            /* TSC of the first SYN to the current backend */
	uint64_t rto_at;               /* TSC when held data is due again (0: nothing to resend) */
	struct pe_hold hold;           /* client data while connecting, then until the backend ACKs it */
	struct pe_stream *st;          /* inspection state (NULL: no inspector configured) */
	struct pe_tmr timer;           /* in the table's timer heap */
};

struct pe_conn_table;

/*
 * Create a table of @max connections for the calling lcore, each with its
 * inspection state when @streams. NULL + rte_errno.
 */
struct pe_conn_table *pe_conn_table_create(const char *name, uint32_t max, int socket, bool streams);
void pe_conn_table_destroy(struct pe_conn_table *t);

/* A zeroed entry (its timer not armed), or NULL when the table is full. */
struct pe_conn *pe_conn_alloc(struct pe_conn_table *t);

/* Make @c findable by c->key[side]. 0 or -errno. */
int pe_conn_insert(struct pe_conn_table *t, struct pe_conn *c, enum pe_side side);

/* The connection owning @key, its side in *@side; NULL if none. */
struct pe_conn *pe_conn_lookup(struct pe_conn_table *t, const struct pe_conn_key *key,
		enum pe_side *side);

/* Forget @c's backend key (before trying another backend). */
void pe_conn_remove_backend(struct pe_conn_table *t, struct pe_conn *c);

/* Arm (or move) @c's timer to fire when the worker's clock reaches @due. */
void pe_conn_timer_arm(struct pe_conn_table *t, struct pe_conn *c, uint64_t due);

/*
 * A connection whose timer is due at @now, its timer disarmed, or NULL.
 * pe_conn_timer_count() at the start bounds a loop whose handlers re-arm.
 */
struct pe_conn *pe_conn_timer_due(struct pe_conn_table *t, uint64_t now);
uint32_t pe_conn_timer_count(const struct pe_conn_table *t);

/* When the earliest timer is due; UINT64_MAX when none is armed. */
uint64_t pe_conn_timer_next(const struct pe_conn_table *t);

/* Remove @c's keys, stop its timer, free its held mbufs, return it to the pool. */
void pe_conn_release(struct pe_conn_table *t, struct pe_conn *c);

/* Free every mbuf @st keeps. */
void pe_stream_free(struct pe_stream *st);

/*
 * Heap bytes the table took when created: entries, hash (both keys of every
 * entry), timer heap, free stack and inspection state; 0 if not measurable.
 * Divided by pe_conn_table_max(), the memory cost of one connection entry.
 */
size_t pe_conn_table_bytes(const struct pe_conn_table *t);
uint32_t pe_conn_table_max(const struct pe_conn_table *t);

/* Entries in use. */
uint32_t pe_conn_count(const struct pe_conn_table *t);

#endif /* PE_CONN_H */
