/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "conn/conn.h"
#include "conn/port_alloc.h"
#include "core/engine.h"
#include "core/log.h"
#include "io/fault.h"
#include "io/worker.h"
#include "net/arp.h"
#include "net/net.h"
#include "net/rss.h"
#include "proxy/backend.h"
#include "proxy/proxy.h"

#define TIMER_RESOLUTION_US 1000  /* connection timers and ARP ageing at most this often */
#define IDLE_SPIN_POLLS 256       /* empty polls before the idle loop starts sleeping */
#define IDLE_SLEEP_MAX_US 500u    /* longest nap: bounds the latency a sleeping worker adds */

static void
tx_drop_cb(struct rte_mbuf **pkts, uint16_t unsent, void *userdata)
{
	struct pe_worker *w = userdata;

	PE_CNT_ADD(&w->cnt, drop_tx_full, unsent);
	PE_CNT_ADD(&w->cnt, tx_packets, -(uint64_t)unsent);
	rte_pktmbuf_free_bulk(pkts, unsent);
}

#define HANDOFF_RING_SIZE 1024   /* frames waiting for another worker */

int
pe_worker_ring_create(uint16_t queue, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "pe_xq_%u", queue);
	/* any worker may enqueue; only the owner dequeues */
	pe_eng.xq[queue] = rte_ring_create(name, HANDOFF_RING_SIZE, socket, RING_F_SC_DEQ);
	return pe_eng.xq[queue] == NULL ? -rte_errno : 0;
}

void
pe_worker_ring_free(uint16_t queue)
{
	struct rte_mbuf *m;

	if (pe_eng.xq[queue] == NULL)
		return;
	while (rte_ring_dequeue(pe_eng.xq[queue], (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(pe_eng.xq[queue]);
	pe_eng.xq[queue] = NULL;
}

void
pe_worker_handoff(struct pe_worker *w, uint16_t queue, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(pe_eng.xq[queue], m) != 0) {
		PE_CNT_INC(&w->cnt, drop_handoff_full);
		rte_pktmbuf_free(m);
		return;
	}
	PE_CNT_INC(&w->cnt, handoff_tx);
}

void
pe_worker_share(struct pe_worker *w, const struct rte_mbuf *m)
{
	struct rte_mbuf *copy;
	uint16_t q;

	for (q = 0; q < pe_eng.cfg.workers; q++) {
		if (q == w->queue_id)
			continue;
		copy = rte_pktmbuf_copy(m, pe_eng.pool, 0, UINT32_MAX);
		if (copy == NULL) {
			PE_CNT_INC(&w->cnt, drop_nombuf);
			continue;
		}
		pe_worker_handoff(w, q, copy);
	}
}

/* Frames other workers handed to this one. */
static void
handoff_drain(struct pe_worker *w)
{
	struct rte_mbuf *ms[PE_BURST];
	unsigned int n, i;

	n = rte_ring_dequeue_burst(pe_eng.xq[w->queue_id], (void **)ms, PE_BURST, NULL);
	for (i = 0; i < n; i++)
		pe_net_handoff_input(w, ms[i]);
}

struct pe_worker *
pe_worker_create(unsigned int lcore, uint16_t port_id, uint16_t queue_id)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);
	char name[RTE_MEMZONE_NAMESIZE];
	struct pe_worker *w;

	w = rte_zmalloc_socket("pe_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL)
		goto fail_nomem;
	w->lcore = lcore;
	w->port_id = port_id;
	w->queue_id = queue_id;

	w->txb = rte_zmalloc_socket("pe_txb", RTE_ETH_TX_BUFFER_SIZE(PE_BURST), 0, socket);
	if (w->txb == NULL)
		goto fail_txb;
	rte_eth_tx_buffer_init(w->txb, PE_BURST);
	rte_eth_tx_buffer_set_err_callback(w->txb, tx_drop_cb, w);

	snprintf(name, sizeof(name), "pe_conn_%u", lcore);
	w->conns = pe_conn_table_create(name, pe_eng.cfg.max_connections, socket,
			pe_eng.inspector != NULL);
	if (w->conns == NULL)
		goto fail_conns;
	w->ports = pe_port_alloc_create(pe_eng.cfg.source_port_min, pe_eng.cfg.source_port_max);
	if (w->ports == NULL) {
		rte_errno = errno;
		goto fail_ports;
	}
	snprintf(name, sizeof(name), "pe_arp_%u", lcore);
	w->arp = pe_arp_create(name, socket);
	if (w->arp == NULL)
		goto fail_arp;
	if (pe_eng.rss != NULL) {
		uint32_t i;

		for (i = 0; i < pe_eng.cfg.n_backends; i++)
			w->be[i].rss_base = pe_rss_reply_base(pe_eng.rss,
					rte_be_to_cpu_32(pe_eng.cfg.backends[i].addr),
					rte_be_to_cpu_32(pe_eng.cfg.source_addr),
					pe_eng.cfg.backends[i].port);
	}
	if (pe_eng.inspector != NULL) {
		/* a rewrite may grow a message: room for twice its size and a reply */
		w->msg_cap = pe_eng.cfg.inspect.max_message_bytes;
		w->out_cap = w->scratch_cap = 2 * (size_t)pe_eng.cfg.inspect.max_message_bytes + 4096;
		w->msg_buf = rte_malloc_socket("pe_msg", w->msg_cap, 0, socket);
		w->out_buf = rte_malloc_socket("pe_msg_out", w->out_cap, 0, socket);
		w->scratch = rte_malloc_socket("pe_msg_scratch", w->scratch_cap, 0, socket);
		/* segments of at least 52 payload bytes (a backend's MSS is taken down to 64) */
		w->emit_cap = (uint32_t)(w->out_cap / 52 + 2);
		w->emit_ms = rte_malloc_socket("pe_emit", sizeof(w->emit_ms[0]) * w->emit_cap, 0, socket);
		if (w->msg_buf == NULL || w->out_buf == NULL || w->scratch == NULL || w->emit_ms == NULL)
			goto fail_inspect;
	}
	if (pe_eng.cfg.fault.enabled) {
		w->fault = pe_fault_create(&pe_eng.cfg.fault, queue_id, socket);
		if (w->fault == NULL)
			goto fail_fault;
	}
	return w;

fail_fault:
fail_inspect:
	rte_free(w->emit_ms);
	rte_free(w->msg_buf);
	rte_free(w->out_buf);
	rte_free(w->scratch);
	pe_arp_destroy(w->arp);
fail_arp:
	pe_port_alloc_destroy(w->ports);
fail_ports:
	pe_conn_table_destroy(w->conns);
fail_conns:
	rte_free(w->txb);
fail_txb:
	rte_free(w);
fail_nomem:
	if (rte_errno == 0)
		rte_errno = ENOMEM;
	return NULL;
}

void
pe_worker_destroy(struct pe_worker *w)
{
	if (w == NULL)
		return;
	pe_fault_destroy(w->fault);   /* first: held frames may be ARP-pending or connection data */
	pe_arp_destroy(w->arp);
	pe_port_alloc_destroy(w->ports);
	pe_conn_table_destroy(w->conns);
	rte_free(w->emit_ms);
	rte_free(w->msg_buf);
	rte_free(w->out_buf);
	rte_free(w->scratch);
	rte_free(w->txb);
	rte_free(w);
}

/*
 * Sleep a little when there is nothing to do, so tests' clients and servers
 * keep a core. Never past the release time of a frame fault injection holds
 * (beyond nanosleep's own overshoot).
 */
static void
idle_backoff(struct pe_worker *w, unsigned int *empty_polls)
{
	unsigned int n = ++*empty_polls, nap_us;
	struct timespec ts = { 0, 0 };
	uint64_t next, now, until;

	if (pe_eng.busy_poll || n < IDLE_SPIN_POLLS) {
		rte_pause();
		return;
	}
	nap_us = RTE_MIN((n - IDLE_SPIN_POLLS + 1) * 10u, IDLE_SLEEP_MAX_US);
	if (unlikely(w->fault != NULL)) {
		next = pe_fault_next_release(w->fault);
		now = rte_get_timer_cycles();
		if (next <= now) {
			rte_pause();
			return;
		}
		if (next != UINT64_MAX) {
			until = RTE_MIN(next - now, pe_eng.hz);
			/* rounded up: waking a little late beats spinning to the release */
			nap_us = RTE_MIN(nap_us, (unsigned int)((until * 1000000 + pe_eng.hz - 1) /
					pe_eng.hz));
		}
	}
	ts.tv_nsec = 1000L * nap_us;
	nanosleep(&ts, NULL);
}

static int worker_loop(struct pe_worker *w);

#define DET_EOF_POLLS 64      /* empty polls in a row: the input has ended */
#define DET_HORIZON_S 86400   /* virtual time timers may still take after the input */

/* A received frame's timestamp (microseconds, from the PMD) in timer cycles. */
static uint64_t
frame_clock(const struct rte_mbuf *m)
{
	uint64_t us = *RTE_MBUF_DYNFIELD(m, pe_eng.rx_ts_off, rte_mbuf_timestamp_t *);

	return us / 1000000 * pe_eng.hz + us % 1000000 * pe_eng.hz / 1000000;
}

/*
 * --deterministic: the clock is the frames' own timestamps. Before each
 * frame, the timers due by its time run; once the input has ended, time
 * jumps from timer to timer until none is left (or a day of virtual time
 * has passed), and the loop ends. No sleeping, no TSC: the same input
 * gives the same output.
 */
static int
worker_loop_deterministic(struct pe_worker *w)
{
	struct rte_mbuf *pkts[PE_BURST];
	unsigned int empty = 0;
	uint64_t horizon = 0, next;
	bool started = false;
	uint16_t n, i;

	/* no time before the first frame: the backends are resolved when it arrives */
	w->now = 0;
	PE_LOG(INFO, main, "worker on lcore %u: deterministic, clock from the frames' timestamps",
			w->lcore);
	while (!pe_eng.quit) {
		n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, PE_BURST);
		w->burst++;
		if (n == 0) {
			if (++empty < DET_EOF_POLLS)
				continue;
			if (horizon == 0)
				horizon = w->now + pe_ms_to_tsc((uint64_t)DET_HORIZON_S * 1000);
			next = pe_conn_timer_next(w->conns);
			if (next == UINT64_MAX || next > horizon)
				break;
			if (next > w->now)
				w->now = next;
			pe_proxy_timers(w);
			pe_arp_tick(w);
			rte_eth_tx_buffer_flush(w->port_id, w->queue_id, w->txb);
			continue;
		}
		empty = 0;
		for (i = 0; i < n; i++) {
			if (pkts[i]->ol_flags & pe_eng.rx_ts_flag) {
				uint64_t t = frame_clock(pkts[i]);

				if (t > w->now)
					w->now = t;
			}
			if (!started) {
				started = true;
				pe_backend_resolve_all(w);
			}
			pe_proxy_timers(w);
			pe_arp_tick(w);
			pe_net_input(w, pkts[i]);
		}
		rte_eth_tx_buffer_flush(w->port_id, w->queue_id, w->txb);
	}
	return 0;
}

int
pe_worker_loop(void *arg)
{
	struct pe_worker *w = arg;

	if (pe_eng.deterministic)
		return worker_loop_deterministic(w);
	return worker_loop(w);
}

/* The poll loop on the real clock. */
static int
worker_loop(struct pe_worker *w)
{
	struct rte_mbuf *pkts[PE_BURST];
	uint64_t tick = pe_ms_to_tsc(1) * TIMER_RESOLUTION_US / 1000, last_tick = 0;
	unsigned int empty_polls = 0;

	w->now = rte_get_timer_cycles();
	pe_backend_resolve_all(w);
	rte_eth_tx_buffer_flush(w->port_id, w->queue_id, w->txb);
	PE_LOG(INFO, main, "worker on lcore %u polling port %u queue %u", w->lcore,
			w->port_id, w->queue_id);

	while (!pe_eng.quit) {
		uint64_t start = rte_rdtsc();
		uint16_t n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, PE_BURST), i;

		w->burst++;
		w->now = rte_get_timer_cycles();
		if (pe_eng.rss != NULL && !rte_ring_empty(pe_eng.xq[w->queue_id]))
			handoff_drain(w);
		if (unlikely(w->fault != NULL)) {
			/* due held frames first: they arrived before this burst */
			pe_fault_release(w);
			pe_fault_rx(w, pkts, n);
		} else {
			for (i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				pe_net_input(w, pkts[i]);
			}
		}
		if (w->now - last_tick >= tick) {
			last_tick = w->now;
			pe_proxy_timers(w);
			pe_arp_tick(w);
		}
		rte_eth_tx_buffer_flush(w->port_id, w->queue_id, w->txb);
		/*
		 * Cycle accounting (issue 7): a poll that received frames is busy
		 * from the rx call to the end of its tx flush; the others, with
		 * timers and the idle backoff's sleep, are idle.
		 */
		if (n == 0) {
			idle_backoff(w, &empty_polls);
			PE_CNT_ADD(&w->cnt, worker_idle_cycles, rte_rdtsc() - start);
		} else {
			empty_polls = 0;
			PE_CNT_ADD(&w->cnt, worker_busy_cycles, rte_rdtsc() - start);
			PE_CNT_INC(&w->cnt, worker_busy_polls);
		}
	}
	return 0;
}
