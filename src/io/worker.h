/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_WORKER_H
#define PE_WORKER_H

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "core/config_types.h"
#include "core/counters.h"
#include "io/fault.h"
#include "io/record.h"
#include "tcp/tcp_cookie.h"

struct pe_conn_table;
struct pe_port_alloc;
struct pe_arp_table;

#define PE_INSPECT_MAX_RULES 64   /* rules an inspector may count (LDAP: routes + 7) */

/* Per-backend state as one worker sees it (shared-nothing). */
struct pe_backend_rt {
	uint64_t holddown_until;   /* TSC; skipped by selection until then */
	uint64_t selected;         /* connections sent to it */
	uint32_t active;           /* connections now bound to it */
	uint32_t failures;         /* failed handshakes: the sum of the three below */
	uint32_t refused;          /* answered our SYN with a RST */
	uint32_t timeouts;         /* never answered within timeouts.connect_ms */
	uint32_t unreachable;      /* ICMP destination unreachable about our SYN */
	uint32_t rss_base;         /* pe_rss_reply_base() of its replies (several workers) */
};

/*
 * One worker lcore: polls one rx queue, owns its connection table, ARP table
 * and port allocator; nothing here is shared with another worker. Telemetry
 * reads the counters from its own thread (plain 64-bit loads).
 */
struct pe_worker {
	uint64_t now;                     /* TSC, refreshed once per burst */
	uint16_t port_id;
	uint16_t queue_id;
	unsigned int lcore;
	struct rte_eth_dev_tx_buffer *txb;
	struct pe_fault *fault;           /* NULL unless the config has fault_injection */
	struct pe_conn_table *conns;
	struct pe_port_alloc *ports;
	struct pe_arp_table *arp;
	uint32_t rr_next;                 /* round-robin cursor */
	struct pe_backend_rt be[PE_MAX_BACKENDS];
	struct pe_cookie_key cookie_keys[2];  /* this period's SYN-cookie key, the one before */
	struct pe_counters cnt;
	/* inspection (NULL/0 without an inspector) */
	uint8_t *msg_buf;                 /* a message gathered from several segments */
	uint8_t *out_buf;                 /* a message with its edits applied */
	uint8_t *scratch;                 /* the inspector's replacement bytes and replies */
	size_t msg_cap, out_cap, scratch_cap;
	struct rte_mbuf **emit_ms;        /* the mbufs of one message's output, taken at once */
	uint32_t emit_cap;
	uint64_t rule_hits[PE_INSPECT_MAX_RULES];
	uint64_t burst;                   /* bursts received so far (both loops) */
	unsigned int pool_avail;          /* pe_pool_avail(): free mbufs in burst ... */
	uint64_t pool_avail_at;           /* ... this one, plus one (0: never read) */
};

#define PE_BURST 32

/*
 * Free mbufs in the pool, read at most once per burst: the read walks every
 * lcore's cache (callgrind: about 440 instructions), and the callers' limits
 * (a quarter of the pool, a message's segments plus a burst) have room for
 * what one burst takes.
 */
static inline unsigned int
pe_pool_avail(struct pe_worker *w)
{
	if (w->pool_avail_at != w->burst + 1) {
		w->pool_avail = rte_mempool_avail_count(pe_eng.pool);
		w->pool_avail_at = w->burst + 1;
	}
	return w->pool_avail;
}

/*
 * Take @n mbufs off this burst's count if the pool has them, with room for
 * what other workers' caches hold (pe_eng.pool_margin). Close to the limit
 * the live count is read: a reservation must not fail later.
 */
static inline bool
pe_pool_reserve(struct pe_worker *w, unsigned int n)
{
	unsigned int want = n + pe_eng.pool_margin;

	if (pe_pool_avail(w) < want + pe_eng.pool->size / 8) {
		w->pool_avail = rte_mempool_avail_count(pe_eng.pool);
		w->pool_avail_at = w->burst + 1;
	}
	if (w->pool_avail < want)
		return false;
	w->pool_avail -= n;
	return true;
}

/*
 * Queue @m on the worker's tx buffer (flushed at the end of each burst),
 * bypassing fault injection: for io/fault.c; everything else calls pe_tx().
 */
static inline void
pe_tx_direct(struct pe_worker *w, struct rte_mbuf *m)
{
	if (unlikely(pe_eng.record != NULL))
		pe_record_frame(w, m);
	PE_CNT_INC(&w->cnt, tx_packets);
	PE_CNT_ADD(&w->cnt, tx_bytes, rte_pktmbuf_pkt_len(m));
	rte_eth_tx_buffer(w->port_id, w->queue_id, w->txb, m);
}

/*
 * Queue @m for transmission on the worker's port (flushed at the end of each
 * burst); consumes @m. With fault injection on it goes through the tx
 * direction first (io/fault.h): it may be lost, duplicated or held.
 */
static inline void
pe_tx(struct pe_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->fault != NULL)) {
		pe_fault_tx(w, m);
		return;
	}
	pe_tx_direct(w, m);
}

/*
 * Several workers (engine.workers > 1) share nothing but a ring each, for
 * the few frames RSS cannot steer to the right one: ARP (every worker
 * resolves the backends itself) and ICMP errors hashed on addresses only.
 */
/* Hand @m to the worker polling @queue; consumes @m. */
void pe_worker_handoff(struct pe_worker *w, uint16_t queue, struct rte_mbuf *m);
/* A copy of @m to every other worker (@m stays the caller's). */
void pe_worker_share(struct pe_worker *w, const struct rte_mbuf *m);
/* The ring for the worker of @queue: 0 or -rte_errno. */
int pe_worker_ring_create(uint16_t queue, int socket);
void pe_worker_ring_free(uint16_t queue);

/* Allocate and set up the worker for @lcore. NULL + rte_errno. */
struct pe_worker *pe_worker_create(unsigned int lcore, uint16_t port_id, uint16_t queue_id);
void pe_worker_destroy(struct pe_worker *w);

/* The poll loop, for rte_eal_remote_launch() or a direct call; returns on pe_eng.quit. */
int pe_worker_loop(void *arg);

#endif /* PE_WORKER_H */
