/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_thash.h>

#include "net/rss.h"

const uint8_t pe_rss_default_key[PE_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

uint32_t
pe_rss_hash_v4(const struct pe_rss *r, uint32_t saddr, uint32_t daddr, uint16_t sport,
		uint16_t dport)
{
	struct rte_ipv4_tuple t = {
		.src_addr = saddr,
		.dst_addr = daddr,
		.sport = sport,
		.dport = dport,
	};

	return rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, r->key);
}

int
pe_rss_init(struct pe_rss *r, const uint8_t *key, const uint16_t *reta, uint16_t reta_size,
		uint16_t nb_queues)
{
	uint32_t i;

	if (nb_queues == 0 || reta_size == 0 || reta_size > PE_RSS_RETA_MAX ||
			(reta_size & (reta_size - 1u)) != 0)
		return -EINVAL;
	for (i = 0; reta != NULL && i < reta_size; i++)
		if (reta[i] >= nb_queues)
			return -EINVAL;
	memcpy(r->key, key, PE_RSS_KEY_LEN);
	r->nb_queues = nb_queues;
	r->reta_size = reta_size;
	for (i = 0; i < reta_size; i++)
		r->reta[i] = reta != NULL ? reta[i] : (uint16_t)(i % nb_queues);
	for (i = 0; i < RTE_DIM(r->port_bits); i++)
		r->port_bits[i] = (uint16_t)(pe_rss_hash_v4(r, 0, 0, 0, (uint16_t)i) &
				(reta_size - 1u));
	return 0;
}
