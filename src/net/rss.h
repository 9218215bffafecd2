/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_RSS_H
#define PE_RSS_H

#include <stdint.h>

/*
 * Receive-side scaling as the engine's queues see it: the Toeplitz hash of
 * an IPv4/TCP frame's (source address, destination address, source port,
 * destination port), its low bits indexing a redirection table (RETA) of
 * queues.
 *
 * The engine owns a connection on the queue where the client's frames land.
 * For the backend's replies to land there as well, without locks or rings
 * between workers, the worker picks its source port so that the hash of the
 * reply tuple (backend address, engine source address, backend port, our
 * port) indexes its own queue. The Toeplitz hash is linear over GF(2):
 *
 *   hash(b, s, bp, p) = hash(b, s, bp, 0) ^ hash(0, 0, 0, p)
 *
 * so a worker keeps the first term per backend (pe_rss_reply_base()) and
 * this module keeps the low bits of the second for every port: testing a
 * candidate port is one table load, one XOR and one RETA load.
 *
 * A NIC is programmed with this module's key and RETA (io/port.c). A port
 * without RSS (net_memif in the benchmark) relies on its peer to spread
 * frames with the same key and RETA, as the load generator does.
 */

#define PE_RSS_KEY_LEN 40        /* bytes of the Toeplitz key (the common size) */
#define PE_RSS_RETA_MAX 512      /* largest RETA DPDK describes (RTE_ETH_RSS_RETA_SIZE_512) */
#define PE_RSS_PEER_RETA_SIZE 128 /* the RETA a peer spreading frames for us emulates (peer_rss) */

/*
 * The key the engine programs and a peer without a NIC emulates: the
 * verification key of Microsoft's RSS specification, which is also what
 * many NICs use by default.
 */
extern const uint8_t pe_rss_default_key[PE_RSS_KEY_LEN];

struct pe_rss {
	uint8_t key[PE_RSS_KEY_LEN];
	uint16_t nb_queues;
	uint16_t reta_size;               /* a power of two */
	uint16_t reta[PE_RSS_RETA_MAX];   /* RETA index -> queue */
	uint16_t port_bits[65536];        /* hash(0, 0, 0, port) & (reta_size - 1) */
};

/*
 * Set up @r for @key (PE_RSS_KEY_LEN bytes) and @reta of @reta_size entries
 * (a power of two, at most PE_RSS_RETA_MAX) over @nb_queues queues. @reta
 * NULL means the usual spread: entry i -> queue i % nb_queues.
 * 0, or -EINVAL for a size that is not a power of two or a queue out of range.
 */
int pe_rss_init(struct pe_rss *r, const uint8_t *key, const uint16_t *reta, uint16_t reta_size,
		uint16_t nb_queues);

/* The Toeplitz hash of an IPv4/TCP tuple as received (host byte order). */
uint32_t pe_rss_hash_v4(const struct pe_rss *r, uint32_t saddr, uint32_t daddr, uint16_t sport,
		uint16_t dport);

/* The queue a frame of hash @hash lands on. */
static inline uint16_t
pe_rss_queue(const struct pe_rss *r, uint32_t hash)
{
	return r->reta[hash & (r->reta_size - 1u)];
}

/*
 * The part of a backend reply's hash that does not depend on our port:
 * hash(backend, source, backend_port, 0). Host byte order.
 */
static inline uint32_t
pe_rss_reply_base(const struct pe_rss *r, uint32_t backend, uint32_t source, uint16_t backend_port)
{
	return pe_rss_hash_v4(r, backend, source, backend_port, 0);
}

/* The queue the backend's replies to our @port land on, given pe_rss_reply_base(). */
static inline uint16_t
pe_rss_reply_queue(const struct pe_rss *r, uint32_t base, uint16_t port)
{
	return r->reta[(base ^ r->port_bits[port]) & (r->reta_size - 1u)];
}

#endif /* PE_RSS_H */
