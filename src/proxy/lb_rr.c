/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/engine.h"
#include "io/worker.h"
#include "proxy/backend.h"
#include "proxy/lb.h"

/* Round-robin over the usable backends, per worker. */
static int
rr_select(struct pe_worker *w, const struct pe_select_ctx *ctx)
{
	unsigned int n = pe_eng.cfg.n_backends, i;

	for (i = 0; i < n; i++) {
		unsigned int idx = (w->rr_next + i) % n;

		if ((ctx->members >> idx & 1) && pe_backend_usable(w, idx)) {
			w->rr_next = (idx + 1) % n;
			return (int)idx;
		}
	}
	return -1;
}

const struct pe_lb_ops pe_lb_rr_ops = {
	.name = "round-robin",
	.select = rr_select,
};
