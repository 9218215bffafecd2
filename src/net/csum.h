/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CSUM_H
#define PE_CSUM_H

#include <stdint.h>

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

/* @csum: the checksum field as stored; @old/@new: a 16-bit word as stored. */
static inline uint16_t
pe_csum_replace16(uint16_t csum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~old;
	sum += new;
	return (uint16_t)~pe_csum_fold(sum);
}

/* Same for a 32-bit field (address, sequence number) as stored. */
static inline uint16_t
pe_csum_replace32(uint16_t csum, uint32_t old, uint32_t new)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff);
	sum += (new >> 16) + (new & 0xffff);
	return (uint16_t)~pe_csum_fold(sum);
}

#endif /* PE_CSUM_H */
