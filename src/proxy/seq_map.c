/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "proxy/seq_map.h"
#include "tcp/tcp_seq.h"

void
pe_seq_map_init(struct pe_seq_map *m, uint32_t delta)
{
	m->delta = delta;
	m->n = 0;
}

void
pe_seq_map_add(struct pe_seq_map *m, uint32_t in_a, uint32_t in_b, uint32_t out_a, uint32_t out_b)
{
	struct pe_seq_edit *last;

	if (in_b - in_a == out_b - out_a)
		return;
	m->delta = out_b - in_b;
	if (m->n == PE_SEQ_MAP_EDITS) {
		/* the unedited bytes between the two become part of the edit: coarser, never wrong */
		last = &m->e[m->n - 1];
		last->in_b = in_b;
		last->out_b = out_b;
		return;
	}
	m->e[m->n++] = (struct pe_seq_edit){ in_a, in_b, out_a, out_b };
}

uint32_t
pe_seq_map_to_out(const struct pe_seq_map *m, uint32_t in, bool end)
{
	int i;

	for (i = m->n - 1; i >= 0; i--) {
		const struct pe_seq_edit *e = &m->e[i];

		if (pe_seq_geq(in, e->in_b))
			return in + (e->out_b - e->in_b);
		if (pe_seq_geq(in, e->in_a))
			return in == e->in_a ? e->out_a : end ? e->out_b : e->out_a;
	}
	/* before every live edit: the delta the oldest one started from */
	return m->n == 0 ? in + m->delta : in + (m->e[0].out_a - m->e[0].in_a);
}

uint32_t
pe_seq_map_to_in(const struct pe_seq_map *m, uint32_t out)
{
	int i;

	for (i = m->n - 1; i >= 0; i--) {
		const struct pe_seq_edit *e = &m->e[i];
		uint32_t in_len, k;

		if (pe_seq_geq(out, e->out_b))
			return out - (e->out_b - e->in_b);
		if (pe_seq_geq(out, e->out_a)) {
			/* at most the edited input's last byte but one: all of it only with all output */
			in_len = e->in_b - e->in_a;
			k = out - e->out_a;
			return e->in_a + (in_len == 0 ? 0 : k < in_len - 1 ? k : in_len - 1);
		}
	}
	return m->n == 0 ? out - m->delta : out - (m->e[0].out_a - m->e[0].in_a);
}

void
pe_seq_map_retire(struct pe_seq_map *m, uint32_t acked)
{
	unsigned int k = 0;

	while (k < m->n && pe_seq_geq(acked, m->e[k].out_b))
		k++;
	if (k == 0)
		return;
	memmove(&m->e[0], &m->e[k], (m->n - k) * sizeof(m->e[0]));
	m->n = (uint8_t)(m->n - k);
}
