/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "conn/port_alloc.h"
#include "net/rss.h"

struct pe_port_alloc {
	uint32_t size;   /* ports in the range */
	uint32_t head;   /* next to hand out */
	uint32_t count;  /* free ports queued from head */
	uint16_t ring[];
};

struct pe_port_alloc *
pe_port_alloc_create(uint16_t min, uint16_t max)
{
	struct pe_port_alloc *pa;
	uint32_t i;

	if (min == 0 || min > max) {
		errno = EINVAL;
		return NULL;
	}
	pa = malloc(sizeof(*pa) + sizeof(pa->ring[0]) * ((uint32_t)max - min + 1));
	if (pa == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pa->size = (uint32_t)max - min + 1;
	pa->head = 0;
	pa->count = pa->size;
	for (i = 0; i < pa->size; i++)
		pa->ring[i] = (uint16_t)(min + i);
	return pa;
}

void
pe_port_alloc_destroy(struct pe_port_alloc *pa)
{
	free(pa);
}

int
pe_port_alloc_get(struct pe_port_alloc *pa)
{
	uint16_t port;

	if (pa->count == 0)
		return -ENOSPC;
	port = pa->ring[pa->head];
	pa->head = (pa->head + 1) % pa->size;
	pa->count--;
	return port;
}

int
pe_port_alloc_get_rss(struct pe_port_alloc *pa, const struct pe_rss *rss, uint32_t base,
		uint16_t queue)
{
	uint32_t tries = PE_PORT_RSS_TRIES * (uint32_t)rss->nb_queues, i;
	int port;

	if (tries > pa->count)
		tries = pa->count;
	for (i = 0; i < tries; i++) {
		port = pe_port_alloc_get(pa);
		if (pe_rss_reply_queue(rss, base, (uint16_t)port) == queue)
			return port;
		pe_port_alloc_put(pa, (uint16_t)port);
	}
	return -ENOSPC;
}

void
pe_port_alloc_put(struct pe_port_alloc *pa, uint16_t port)
{
	if (pa->count == pa->size)
		return; /* more puts than gets: a caller bug, never overwrite */
	pa->ring[(pa->head + pa->count) % pa->size] = port;
	pa->count++;
}

uint32_t
pe_port_alloc_free_count(const struct pe_port_alloc *pa)
{
	return pa->count;
}
