/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_jhash.h>

#include "tcp/tcp_cookie.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)

/* The common MSS values (Linux's msstab): 536 (RFC 9293 default), 1300 (tunnels), 1440, 1460 (Ethernet). */
const uint16_t pe_cookie_mss_table[4] = { 536, 1300, 1440, 1460 };

unsigned int
pe_cookie_mss_index(uint16_t mss)
{
	unsigned int i;

	for (i = 3; i > 0; i--)
		if (mss >= pe_cookie_mss_table[i])
			return i;
	return 0;
}

static uint32_t
cookie_hash(const struct pe_cookie_tuple *t, uint32_t key, uint32_t extra)
{
	return rte_jhash_3words(t->saddr, t->daddr,
			((uint32_t)t->sport << 16 | t->dport) ^ extra, key);
}

uint32_t
pe_cookie_make(const struct pe_cookie_secret *s, const struct pe_cookie_tuple *t,
		uint32_t client_isn, uint32_t period, unsigned int mss_index)
{
	return cookie_hash(t, s->k[0], 0) + client_isn + (period << COOKIE_BITS) +
		((cookie_hash(t, s->k[1], period) + mss_index) & COOKIE_MASK);
}

int
pe_cookie_check(const struct pe_cookie_secret *s, const struct pe_cookie_tuple *t,
		uint32_t client_isn, uint32_t cookie, uint32_t period)
{
	uint32_t v = cookie - cookie_hash(t, s->k[0], 0) - client_isn;
	uint32_t then = v >> COOKIE_BITS;
	uint32_t age = (period - then) & (0xffffffffu >> COOKIE_BITS);
	uint32_t mss_index;

	if (age > PE_COOKIE_MAX_AGE - 1)
		return -1;
	/* recover the full period number from its low 8 bits */
	then = period - age;
	mss_index = ((v & COOKIE_MASK) - cookie_hash(t, s->k[1], then)) & COOKIE_MASK;
	if (mss_index >= 4)
		return -1;
	return (int)mss_index;
}
