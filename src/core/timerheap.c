/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>

#include "core/timerheap.h"

void
pe_theap_init(struct pe_theap *q, struct pe_theap_slot *slots, uint32_t cap)
{
	q->h = slots;
	q->n = 0;
	q->cap = cap;
}

static inline void
place(struct pe_theap *q, uint32_t i, struct pe_theap_slot s)
{
	q->h[i] = s;
	s.t->pos = i + 1;
}

/* Move the timer at @i toward the root while it is due before its parent. */
static void
sift_up(struct pe_theap *q, uint32_t i)
{
	struct pe_theap_slot s = q->h[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (q->h[parent].due <= s.due)
			break;
		place(q, i, q->h[parent]);
		i = parent;
	}
	place(q, i, s);
}

/* Move the timer at @i toward the leaves while a child is due before it. */
static void
sift_down(struct pe_theap *q, uint32_t i)
{
	struct pe_theap_slot s = q->h[i];

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t due = s.due;

		if (l < q->n && q->h[l].due < due) {
			m = l;
			due = q->h[l].due;
		}
		if (r < q->n && q->h[r].due < due)
			m = r;
		if (m == i)
			break;
		place(q, i, q->h[m]);
		i = m;
	}
	place(q, i, s);
}

int
pe_tmr_arm(struct pe_theap *q, struct pe_tmr *t, uint64_t due)
{
	uint64_t old = t->due;

	if (t->pos == 0) {
		if (q->n == q->cap)
			return -ENOSPC;
		t->due = due;
		place(q, q->n++, (struct pe_theap_slot){ .due = due, .t = t });
		sift_up(q, q->n - 1);
		return 0;
	}
	t->due = due;
	q->h[t->pos - 1].due = due;
	if (due < old)
		sift_up(q, t->pos - 1);
	else
		sift_down(q, t->pos - 1);
	return 0;
}

void
pe_tmr_stop(struct pe_theap *q, struct pe_tmr *t)
{
	struct pe_theap_slot last;
	uint32_t i;

	if (t->pos == 0)
		return;
	i = t->pos - 1;
	t->pos = 0;
	last = q->h[--q->n];
	if (i == q->n)
		return;
	/* the last timer takes the hole, then goes up or down to its place */
	place(q, i, last);
	if (i > 0 && q->h[(i - 1) / 2].due > last.due)
		sift_up(q, i);
	else
		sift_down(q, i);
}

struct pe_tmr *
pe_theap_pop_due(struct pe_theap *q, uint64_t now)
{
	struct pe_tmr *t;

	if (q->n == 0 || q->h[0].due > now)
		return NULL;
	t = q->h[0].t;
	pe_tmr_stop(q, t);
	return t;
}
