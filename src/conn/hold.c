/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdalign.h>

#include <rte_errno.h>

#include "conn/hold.h"
#include "tcp/tcp_seq.h"

int pe_hold_next_off = -1;

int
pe_hold_init(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "pe_hold_next",
		.size = sizeof(struct rte_mbuf *),
		.align = alignof(struct rte_mbuf *),
	};

	pe_hold_next_off = rte_mbuf_dynfield_register(&desc);
	return pe_hold_next_off < 0 ? -rte_errno : 0;
}

void
pe_hold_append(struct pe_hold *h, struct rte_mbuf *m, uint32_t len, uint32_t end)
{
	*pe_hold_nextp(m) = NULL;
	if (h->tail != NULL)
		*pe_hold_nextp(h->tail) = m;
	else
		h->head = m;
	h->tail = m;
	if (h->n == 0 || pe_seq_gt(end, h->end))
		h->end = end;
	h->bytes += len;
	h->n++;
}

void
pe_hold_free(struct pe_hold *h)
{
	struct rte_mbuf *m = h->head, *next;

	while (m != NULL) {
		next = pe_hold_next(m);
		rte_pktmbuf_free(m);
		m = next;
	}
	*h = (struct pe_hold){ 0 };
}

struct rte_mbuf *
pe_hold_pop(struct pe_hold *h, uint32_t len)
{
	struct rte_mbuf *m = h->head;

	if (m == NULL)
		return NULL;
	h->head = pe_hold_next(m);
	if (h->head == NULL)
		h->tail = NULL;
	h->bytes -= len;
	h->n--;
	return m;
}

void
pe_hold_insert(struct pe_hold *h, struct rte_mbuf *m, uint32_t len, uint32_t seq, uint32_t end,
		uint32_t (*seq_of)(struct rte_mbuf *))
{
	struct rte_mbuf **pp = &h->head;

	while (*pp != NULL && pe_seq_leq(seq_of(*pp), seq)) {
		pp = pe_hold_nextp(*pp);
	}
	*pe_hold_nextp(m) = *pp;
	*pp = m;
	if (*pe_hold_nextp(m) == NULL)
		h->tail = m;
	if (h->n == 0 || pe_seq_gt(end, h->end))
		h->end = end;
	h->bytes += len;
	h->n++;
}
