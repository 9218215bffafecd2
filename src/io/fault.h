/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_FAULT_H
#define PE_FAULT_H

/*
 * Fault-injection port wrapper: applies io/fault_model.h's decisions to
 * mbufs, per direction, on any PMD profile (no netem needed).
 *
 *   rx: rte_eth_rx_burst -> pe_fault_rx -> pe_net_input
 *   tx: pe_tx -> pe_fault_tx -> port tx buffer
 *
 * LOSE frees the frame. DUPLICATE copies it (rte_pktmbuf_copy, before the
 * original is processed or sent) and passes both, original first. Frames
 * with a hold (delay_us, or delay_us + reorder_us for REORDER) wait in a
 * per-worker queue ordered by release time (TSC), ties in arrival order,
 * and go on from pe_fault_release(), which the worker calls on every loop
 * iteration before it handles the new burst. With delay only, order is kept;
 * a reordered frame is overtaken by every frame that arrives within its
 * reorder_us. When the queue is full a frame passes at once (counted in
 * fault_queue_full). Every outcome is counted (fault_* in counters.def).
 * Nothing here logs per frame.
 *
 * rx_packets counts frames after the rx faults, tx_packets frames handed to
 * the port after the tx faults.
 */

#include <stdint.h>

#include "core/config_types.h"

#define PE_FAULT_QUEUE_SIZE 2048   /* frames held at once, per worker */

struct pe_fault;
struct pe_worker;
struct rte_mbuf;

/*
 * Fault state for the worker polling @queue_id (its generators are streams
 * 2 * queue_id + direction of @conf->seed). NULL + rte_errno.
 */
struct pe_fault *pe_fault_create(const struct pe_fault_conf *conf, uint16_t queue_id,
		int socket);

/* Free @f and every frame it still holds (they are neither processed nor sent). NULL is a no-op. */
void pe_fault_destroy(struct pe_fault *f);

/* The rx direction for a burst: each of @pkts is lost, held or given to pe_net_input(). */
void pe_fault_rx(struct pe_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* The tx direction for one frame: lost, held or handed to the port (pe_tx_direct). */
void pe_fault_tx(struct pe_worker *w, struct rte_mbuf *m);

/* Pass on every held frame whose release time is not after w->now, earliest first. */
void pe_fault_release(struct pe_worker *w);

/* TSC at which the earliest held frame is due; UINT64_MAX when none is held. */
uint64_t pe_fault_next_release(const struct pe_fault *f);

/* Log one line describing @conf (at startup, when fault injection is on). */
void pe_fault_log_conf(const struct pe_fault_conf *conf);

#endif /* PE_FAULT_H */
