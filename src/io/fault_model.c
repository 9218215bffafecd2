/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdint.h>

#include "io/fault_model.h"

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ull
#define STREAM_MULT 0xd1b54a32d192ed03ull   /* odd: distinct streams, distinct starts */

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* splitmix64 (Vigna): advance *@x and return its output. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += SPLITMIX_GAMMA);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
pe_fault_rng_init(struct pe_fault_rng *r, uint64_t seed, uint32_t stream)
{
	uint64_t x = seed ^ ((uint64_t)stream * STREAM_MULT);
	unsigned int i;

	/* splitmix64 is a bijection of its counter: four outputs are never all zero */
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

uint64_t
pe_fault_rng_next(struct pe_fault_rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t
pe_fault_draw_ppm(struct pe_fault_rng *r)
{
	/* Lemire's multiply-shift: [0, 2^32) scaled to [0, PE_FAULT_PPM) */
	return (uint32_t)(((pe_fault_rng_next(r) >> 32) * PE_FAULT_PPM) >> 32);
}

enum pe_fault_action
pe_fault_decide(struct pe_fault_rng *r, const struct pe_fault_dir *d, uint32_t *hold_us)
{
	uint32_t x = pe_fault_draw_ppm(r);
	uint32_t lose = d->loss_ppm;
	uint32_t dup = lose + d->duplicate_ppm;
	uint32_t reorder = dup + d->reorder_ppm;

	if (x < lose) {
		*hold_us = 0;
		return PE_FAULT_LOSE;
	}
	if (x < dup) {
		*hold_us = d->delay_us;
		return PE_FAULT_DUPLICATE;
	}
	if (x < reorder) {
		*hold_us = d->delay_us + d->reorder_us;
		return PE_FAULT_REORDER;
	}
	*hold_us = d->delay_us;
	return PE_FAULT_PASS;
}
