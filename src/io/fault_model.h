/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_FAULT_MODEL_H
#define PE_FAULT_MODEL_H

/*
 * Fault injection, decision core: what happens to one frame. No DPDK, no
 * mbufs (io/fault.c applies the decision), so it is unit-tested without EAL.
 *
 * Randomness: each (worker queue, direction) has its own generator, seeded
 * from the config's seed, so a given seed and a given sequence of frames on
 * that direction always give the same faults, whatever the other direction
 * or any other user of randomness does. DPDK's rte_rand() cannot give that:
 * it has one state per lcore shared with every other caller on the lcore
 * (and is seeded once per process), so its stream for our frames would shift
 * whenever anything else draws.
 *
 * Generator: xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/),
 * its four state words the first four outputs of splitmix64 started at
 * seed ^ (stream * 0xd1b54a32d192ed03). Stream = 2 * queue + direction.
 *
 * Decision, one draw per frame, r uniform in [0, 1000000):
 *
 *   0        loss    loss+duplicate    loss+duplicate+reorder    1000000
 *   |  LOSE   |      DUPLICATE    |          REORDER        |  PASS   |
 *
 * so the outcomes are exclusive and each happens to exactly its configured
 * fraction of frames (the config guarantees the three add up to <= 100 %).
 * Frames that are not lost are then held hold_us microseconds:
 * delay_us, plus reorder_us for REORDER. A DUPLICATE's copy follows the
 * original with the same hold.
 */

#include <stdint.h>

#include "core/config_types.h"

#define PE_FAULT_PPM 1000000u   /* draws are in [0, PE_FAULT_PPM) */

/* Index into struct pe_fault_conf.dir[]. */
enum pe_fault_dir_id {
	PE_FAULT_RX = 0,   /* frames the engine receives */
	PE_FAULT_TX = 1,   /* frames the engine sends */
};

enum pe_fault_action {
	PE_FAULT_PASS,
	PE_FAULT_LOSE,
	PE_FAULT_DUPLICATE,
	PE_FAULT_REORDER,
};

/* xoshiro256** state; never all zero after pe_fault_rng_init(). */
struct pe_fault_rng {
	uint64_t s[4];
};

/* Seed @r for @stream (2 * queue + direction) from the config's @seed. */
void pe_fault_rng_init(struct pe_fault_rng *r, uint64_t seed, uint32_t stream);

/* Next 64-bit output of xoshiro256**. */
uint64_t pe_fault_rng_next(struct pe_fault_rng *r);

/* Next draw, uniform in [0, PE_FAULT_PPM) (bias below 2^-12, from the top 32 bits). */
uint32_t pe_fault_draw_ppm(struct pe_fault_rng *r);

/*
 * Decide the fate of one frame on direction @d: one draw from @r. Sets
 * *@hold_us to how long the frame (and its copy) is held before it goes on:
 * 0 for PASS without delay_us and for LOSE.
 */
enum pe_fault_action pe_fault_decide(struct pe_fault_rng *r, const struct pe_fault_dir *d,
		uint32_t *hold_us);

#endif /* PE_FAULT_MODEL_H */
