/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TIMERHEAP_H
#define PE_TIMERHEAP_H

/*
 * One-shot timers on a binary min-heap, driven by a clock the caller passes
 * in (DPDK-free). The engine's worker runs them with its own notion of now
 * (w->now), so one clock drives every deadline; rte_timer reads the TSC
 * itself, which a replay driven by capture timestamps (issue 6's
 * deterministic pcap mode) cannot steer.
 *
 * Each timer is embedded in its owner and knows its place in the heap, so
 * arming, re-arming and stopping are O(log n) and need no allocation. Each
 * heap slot carries its timer's due time next to the pointer: sifting
 * compares within the heap array instead of loading every owner it passes
 * (owners are connection entries spread over megabytes; perf under load put
 * the pointer-chasing sift at an eighth of the worker's time).
 */

#include <stdbool.h>
#include <stdint.h>

struct pe_tmr {
	uint64_t due;       /* clock value at which it fires */
	uint32_t pos;       /* index + 1 in the heap; 0: not armed */
};

struct pe_theap_slot {
	uint64_t due;       /* the timer's due, kept here for the comparisons */
	struct pe_tmr *t;
};

struct pe_theap {
	struct pe_theap_slot *h;  /* caller's array of cap slots */
	uint32_t n;
	uint32_t cap;
};

/* An empty heap over @slots (@cap entries, kept by the caller). */
void pe_theap_init(struct pe_theap *q, struct pe_theap_slot *slots, uint32_t cap);

/* Arm (or move) @t to fire at @due. -ENOSPC when the heap is full. */
int pe_tmr_arm(struct pe_theap *q, struct pe_tmr *t, uint64_t due);

/* Disarm @t if armed. */
void pe_tmr_stop(struct pe_theap *q, struct pe_tmr *t);

static inline bool
pe_tmr_armed(const struct pe_tmr *t)
{
	return t->pos != 0;
}

/*
 * The earliest timer due at or before @now, taken off the heap (disarmed,
 * so its handler may arm it again), or NULL. Call in a loop; bound the loop
 * by pe_theap_count() at its start if handlers may arm timers already due.
 */
struct pe_tmr *pe_theap_pop_due(struct pe_theap *q, uint64_t now);

static inline uint32_t
pe_theap_count(const struct pe_theap *q)
{
	return q->n;
}

/* When the earliest timer is due; UINT64_MAX when none is armed. */
static inline uint64_t
pe_theap_next(const struct pe_theap *q)
{
	return q->n == 0 ? UINT64_MAX : q->h[0].due;
}

#endif /* PE_TIMERHEAP_H */
