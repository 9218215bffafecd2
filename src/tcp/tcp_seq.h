/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TCP_SEQ_H
#define PE_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/*
 * TCP sequence number arithmetic modulo 2^32 (RFC 9293 §3.4): a is "before"
 * b when the signed distance b - a is positive. Valid for numbers less than
 * 2^31 apart, which TCP's window rules guarantee.
 */
static inline bool pe_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool pe_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool pe_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool pe_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* a <= x < b, modulo 2^32 */
static inline bool
pe_seq_in(uint32_t x, uint32_t a, uint32_t b)
{
	return x - a < b - a;
}

/*
 * Translation between two sequence spaces. The proxy relays segments between
 * two TCP connections whose initial sequence numbers differ: a number n of
 * space A maps to n + delta in space B, and back with -delta; both wrap.
 *
 *   delta = isn_B - isn_A
 */
static inline uint32_t pe_seq_delta(uint32_t isn_a, uint32_t isn_b) { return isn_b - isn_a; }
static inline uint32_t pe_seq_to(uint32_t n, uint32_t delta) { return n + delta; }
static inline uint32_t pe_seq_from(uint32_t n, uint32_t delta) { return n - delta; }

#endif /* PE_TCP_SEQ_H */
