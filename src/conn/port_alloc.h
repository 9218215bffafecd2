/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PORT_ALLOC_H
#define PE_PORT_ALLOC_H

#include <stdint.h>

/*
 * Local ports for backend connections: a FIFO over [min, max]. A released
 * port goes to the back of the queue, so it is reused only after every other
 * free port, which keeps us clear of a backend's TIME_WAIT for that 4-tuple.
 * One allocator per worker (no locking). Ports in host byte order.
 */
struct pe_port_alloc;

/* NULL and errno = EINVAL/ENOMEM on failure. */
struct pe_port_alloc *pe_port_alloc_create(uint16_t min, uint16_t max);
void pe_port_alloc_destroy(struct pe_port_alloc *pa);

/* A free port, or -ENOSPC when all are in use. */
int pe_port_alloc_get(struct pe_port_alloc *pa);

struct pe_rss;

/*
 * A free port whose backend replies land on @queue under @rss (base: see
 * pe_rss_reply_base()), or -ENOSPC. Ports that would land elsewhere go back
 * to the tail in their order; at most PE_PORT_RSS_TRIES per queue are
 * looked at, so a worker whose share is used up fails quickly.
 */
#define PE_PORT_RSS_TRIES 64
int pe_port_alloc_get_rss(struct pe_port_alloc *pa, const struct pe_rss *rss, uint32_t base,
		uint16_t queue);

/* Give back a port obtained from pe_port_alloc_get(). */
void pe_port_alloc_put(struct pe_port_alloc *pa, uint16_t port);

/* Ports currently free. */
uint32_t pe_port_alloc_free_count(const struct pe_port_alloc *pa);

#endif /* PE_PORT_ALLOC_H */
