/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/engine.h"
#include "io/worker.h"
#include "net/arp.h"
#include "proxy/backend.h"

bool
pe_backend_usable(struct pe_worker *w, unsigned int idx)
{
	return w->now >= w->be[idx].holddown_until &&
		pe_arp_lookup(w, pe_eng.cfg.backends[idx].addr) != NULL;
}

void
pe_backend_failed(struct pe_worker *w, unsigned int idx, enum pe_backend_failure why)
{
	struct pe_backend_rt *be = &w->be[idx];

	be->failures++;
	switch (why) {
	case PE_BE_REFUSED:
		be->refused++;
		break;
	case PE_BE_TIMEOUT:
		be->timeouts++;
		break;
	case PE_BE_UNREACHABLE:
		be->unreachable++;
		break;
	}
	be->holddown_until = w->now + pe_ms_to_tsc(pe_eng.cfg.backend_holddown_ms);
}

int
pe_backend_fail_open(struct pe_worker *w, uint64_t members)
{
	unsigned int i;
	int best = -1;

	for (i = 0; i < pe_eng.cfg.n_backends; i++) {
		if (!(members >> i & 1) || pe_arp_lookup(w, pe_eng.cfg.backends[i].addr) == NULL)
			continue;
		if (best < 0 || w->be[i].holddown_until < w->be[best].holddown_until)
			best = (int)i;
	}
	if (best >= 0)
		PE_CNT_INC(&w->cnt, backend_fail_open);
	return best;
}

void
pe_backend_resolve_all(struct pe_worker *w)
{
	unsigned int i;

	for (i = 0; i < pe_eng.cfg.n_backends; i++)
		pe_arp_output(w, pe_eng.cfg.backends[i].addr, NULL);
}

const char *
pe_backend_state_name(struct pe_worker *w, unsigned int idx)
{
	return pe_backend_usable(w, idx) ? "up" : "down";
}
