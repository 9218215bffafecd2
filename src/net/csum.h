/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CSUM_H
#define PE_CSUM_H

#include <stdint.h>
#include <string.h>

/*
 * Incremental update of an Internet checksum after a field changed, per
 * RFC 1624 eqn. 3:  HC' = ~(~HC + ~m + m').
 * DPDK 22.11 offers only full computations (rte_raw_cksum,
 * rte_ipv4_udptcp_cksum); relaying rewrites a few header words of every
 * segment, so recomputing over the whole payload would cost per byte.
 * All values are taken exactly as they sit in the packet (network order);
 * the one's complement sum is byte-order independent.
 */
static inline uint16_t
pe_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Several fields changed: their differences summed first, the checksum
 * updated once (RFC 1624 eqn. 3 holds for any number of 16-bit words).
 * Start from 0; a 32-bit accumulator takes thousands of changes.
 */
static inline uint32_t
pe_csum_diff16(uint32_t acc, uint16_t old, uint16_t new)
{
	return acc + (uint16_t)~old + new;
}

static inline uint32_t
pe_csum_diff32(uint32_t acc, uint32_t old, uint32_t new)
{
	return acc + (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff) + (new >> 16) +
		(new & 0xffff);
}

/* @csum as stored, updated by the differences in @acc. */
static inline uint16_t
pe_csum_apply(uint16_t csum, uint32_t acc)
{
	return (uint16_t)~pe_csum_fold((uint32_t)(uint16_t)~csum + pe_csum_fold(acc));
}

/* @csum: the checksum field as stored; @old/@new: a 16-bit word as stored. */
static inline uint16_t
pe_csum_replace16(uint16_t csum, uint16_t old, uint16_t new)
{
	return pe_csum_apply(csum, pe_csum_diff16(0, old, new));
}

/* Same for a 32-bit field (address, sequence number) as stored. */
static inline uint16_t
pe_csum_replace32(uint16_t csum, uint32_t old, uint32_t new)
{
	return pe_csum_apply(csum, pe_csum_diff32(0, old, new));
}

/*
 * The one's complement sum of @len bytes at @buf plus @sum, not folded: the
 * same 16-bit fold as DPDK's __rte_raw_cksum(). DPDK 22.11's adds one
 * 16-bit word per iteration (callgrind: a third of the instructions of a
 * relayed segment went into checking its checksum); this adds 32-bit words
 * into 64 bits, eight per iteration, which RFC 1071 §2 allows ("deferred
 * carries", any word size, folded at the end). Later DPDK releases speed
 * theirs up likewise.
 */
static inline uint32_t
pe_csum_raw(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum, s2 = 0;
	uint32_t w[8];
	uint16_t h = 0;

	for (; len >= sizeof(w); len -= sizeof(w), p += sizeof(w)) {
		memcpy(w, p, sizeof(w));
		s += (uint64_t)w[0] + w[1] + w[2] + w[3];
		s2 += (uint64_t)w[4] + w[5] + w[6] + w[7];
	}
	s += s2;
	for (; len >= 4; len -= 4, p += 4) {
		memcpy(w, p, 4);
		s += w[0];
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		h = 0;
		memcpy(&h, p, 1);   /* the odd byte where it sits in a 16-bit word */
		s += h;
	}
	/* 64 to 32 bits, end-around carry: the sum modulo 2^32 - 1, a multiple of 2^16 - 1 */
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

#endif /* PE_CSUM_H */
