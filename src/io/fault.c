/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "core/counters.h"
#include "core/engine.h"
#include "core/log.h"
#include "io/fault.h"
#include "io/fault_model.h"
#include "io/worker.h"
#include "net/net.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_fault, fault, INFO);

/* A held frame. Heap order: release, then seq (arrival), so equal times stay FIFO. */
struct fault_held {
	uint64_t release;        /* TSC */
	uint64_t seq;
	struct rte_mbuf *m;
	enum pe_fault_dir_id dir;
};

struct pe_fault {
	struct pe_fault_rng rng[2];          /* by enum pe_fault_dir_id */
	struct pe_fault_dir conf[2];
	uint64_t seq;                        /* next arrival number */
	uint32_t n_held;
	struct fault_held heap[PE_FAULT_QUEUE_SIZE]; /* binary min-heap, heap[0] due first */
};

/* Counters by direction. */
static const enum pe_cnt_id cnt_lost[2] = { PE_CNT_fault_rx_lost, PE_CNT_fault_tx_lost };
static const enum pe_cnt_id cnt_dup[2] = { PE_CNT_fault_rx_duplicated, PE_CNT_fault_tx_duplicated };
static const enum pe_cnt_id cnt_reorder[2] = { PE_CNT_fault_rx_reordered, PE_CNT_fault_tx_reordered };
static const enum pe_cnt_id cnt_delay[2] = { PE_CNT_fault_rx_delayed, PE_CNT_fault_tx_delayed };

struct pe_fault *
pe_fault_create(const struct pe_fault_conf *conf, uint16_t queue_id, int socket)
{
	struct pe_fault *f;
	unsigned int d;

	f = rte_zmalloc_socket("pe_fault", sizeof(*f), RTE_CACHE_LINE_SIZE, socket);
	if (f == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	for (d = 0; d < 2; d++) {
		pe_fault_rng_init(&f->rng[d], conf->seed, 2u * queue_id + d);
		f->conf[d] = conf->dir[d];
	}
	return f;
}

void
pe_fault_destroy(struct pe_fault *f)
{
	uint32_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_held; i++)
		rte_pktmbuf_free(f->heap[i].m);
	rte_free(f);
}

static inline int
held_before(const struct fault_held *a, const struct fault_held *b)
{
	return a->release < b->release || (a->release == b->release && a->seq < b->seq);
}

/* Push; the caller has checked there is room. */
static void
heap_push(struct pe_fault *f, const struct fault_held *h)
{
	uint32_t i = f->n_held++, parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!held_before(h, &f->heap[parent]))
			break;
		f->heap[i] = f->heap[parent];
		i = parent;
	}
	f->heap[i] = *h;
}

/* Remove heap[0] into *@out; the heap is not empty. */
static void
heap_pop(struct pe_fault *f, struct fault_held *out)
{
	const struct fault_held *last;
	uint32_t i = 0, child, n;

	*out = f->heap[0];
	n = --f->n_held;
	if (n == 0)
		return;
	last = &f->heap[n];
	for (;;) {
		child = 2 * i + 1;
		if (child >= n)
			break;
		if (child + 1 < n && held_before(&f->heap[child + 1], &f->heap[child]))
			child++;
		if (!held_before(&f->heap[child], last))
			break;
		f->heap[i] = f->heap[child];
		i = child;
	}
	f->heap[i] = *last;
}

/* The frame goes on, now: processed (rx) or handed to the port (tx). */
static inline void
deliver(struct pe_worker *w, enum pe_fault_dir_id dir, struct rte_mbuf *m)
{
	if (dir == PE_FAULT_RX)
		pe_net_input(w, m);
	else
		pe_tx_direct(w, m);
}

/*
 * Hold @m for @hold_us, or deliver it now when there is no hold or the queue
 * is full. @reorder: the hold is a reorder (else a delay), for the counters.
 */
static void
hold_or_deliver(struct pe_worker *w, enum pe_fault_dir_id dir, struct rte_mbuf *m,
		uint32_t hold_us, bool reorder)
{
	struct pe_fault *f = w->fault;
	struct fault_held h;
	uint64_t tsc;

	if (hold_us == 0) {
		deliver(w, dir, m);
		return;
	}
	if (f->n_held == PE_FAULT_QUEUE_SIZE) {
		PE_CNT_INC(&w->cnt, fault_queue_full);
		deliver(w, dir, m);
		return;
	}
	tsc = (uint64_t)hold_us * pe_eng.hz / US_PER_S;
	h.release = w->now + (tsc > 0 ? tsc : 1);   /* never due in the iteration that held it */
	h.seq = f->seq++;
	h.m = m;
	h.dir = dir;
	heap_push(f, &h);
	w->cnt.v[reorder ? cnt_reorder[dir] : cnt_delay[dir]]++;
}

/* One frame through direction @dir. */
static void
fault_apply(struct pe_worker *w, enum pe_fault_dir_id dir, struct rte_mbuf *m)
{
	struct pe_fault *f = w->fault;
	struct rte_mbuf *copy = NULL;
	enum pe_fault_action act;
	uint32_t hold_us;

	act = pe_fault_decide(&f->rng[dir], &f->conf[dir], &hold_us);
	switch (act) {
	case PE_FAULT_LOSE:
		w->cnt.v[cnt_lost[dir]]++;
		rte_pktmbuf_free(m);
		return;
	case PE_FAULT_DUPLICATE:
		/* before the original is processed or sent: both may change or free it */
		copy = rte_pktmbuf_copy(m, pe_eng.pool, 0, UINT32_MAX);
		if (copy == NULL)
			PE_CNT_INC(&w->cnt, drop_nombuf);
		else
			w->cnt.v[cnt_dup[dir]]++;
		break;
	case PE_FAULT_REORDER:
	case PE_FAULT_PASS:
		break;
	}
	hold_or_deliver(w, dir, m, hold_us, act == PE_FAULT_REORDER);
	if (copy != NULL)
		hold_or_deliver(w, dir, copy, hold_us, false);
}

void
pe_fault_rx(struct pe_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		fault_apply(w, PE_FAULT_RX, pkts[i]);
}

void
pe_fault_tx(struct pe_worker *w, struct rte_mbuf *m)
{
	fault_apply(w, PE_FAULT_TX, m);
}

void
pe_fault_release(struct pe_worker *w)
{
	struct pe_fault *f = w->fault;
	struct fault_held h;

	/* frames held meanwhile (rx processing sends) are due after w->now: the loop ends */
	while (f->n_held > 0 && f->heap[0].release <= w->now) {
		heap_pop(f, &h);
		deliver(w, h.dir, h.m);
	}
}

uint64_t
pe_fault_next_release(const struct pe_fault *f)
{
	return f->n_held > 0 ? f->heap[0].release : UINT64_MAX;
}

void
pe_fault_log_conf(const struct pe_fault_conf *conf)
{
	const struct pe_fault_dir *rx = &conf->dir[PE_FAULT_RX], *tx = &conf->dir[PE_FAULT_TX];
	const double pct = PE_FAULT_PPM / 100.0;

	PE_LOG(NOTICE, fault, "fault injection ON, seed %" PRIu64 ": "
			"rx loss %g%% duplicate %g%% reorder %g%% by %u us, delay %u us; "
			"tx loss %g%% duplicate %g%% reorder %g%% by %u us, delay %u us; "
			"queue %u frames",
			conf->seed,
			rx->loss_ppm / pct, rx->duplicate_ppm / pct, rx->reorder_ppm / pct,
			rx->reorder_us, rx->delay_us,
			tx->loss_ppm / pct, tx->duplicate_ppm / pct, tx->reorder_ppm / pct,
			tx->reorder_us, tx->delay_us,
			PE_FAULT_QUEUE_SIZE);
}
