/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_HOLD_H
#define PE_HOLD_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

/*
 * Segments the engine keeps for a connection (client data held while the
 * backend connects, kept until the backend acknowledges it), in arrival
 * order. The list is linked through an mbuf dynamic field, so holding costs
 * no memory beyond the mbufs themselves.
 */
struct pe_hold {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t bytes;     /* payload bytes held */
	uint32_t end;       /* highest sequence number + length held (sender's space) */
	uint16_t n;
};

extern int pe_hold_next_off;

/* Register the dynamic field; once, after rte_eal_init(). 0 or -rte_errno. */
int pe_hold_init(void);

static inline struct rte_mbuf **
pe_hold_nextp(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, pe_hold_next_off, struct rte_mbuf **);
}

static inline struct rte_mbuf *
pe_hold_next(struct rte_mbuf *m)
{
	return *pe_hold_nextp(m);
}

/* Append @m (carrying @len payload bytes and ending at sequence @end). */
void pe_hold_append(struct pe_hold *h, struct rte_mbuf *m, uint32_t len, uint32_t end);

/* Take the first mbuf off @h (it carried @len payload bytes); NULL if empty. */
struct rte_mbuf *pe_hold_pop(struct pe_hold *h, uint32_t len);

/*
 * Insert @m (payload @len, sequence numbers [@seq, @end)) in sequence order,
 * after those starting at or before @seq; @seq_of tells a held mbuf's start.
 */
void pe_hold_insert(struct pe_hold *h, struct rte_mbuf *m, uint32_t len, uint32_t seq, uint32_t end,
		uint32_t (*seq_of)(struct rte_mbuf *));

/* Free every held mbuf and empty @h. */
void pe_hold_free(struct pe_hold *h);

#endif /* PE_HOLD_H */
