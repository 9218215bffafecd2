/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_LB_H
#define PE_LB_H

#include <stdint.h>

struct pe_worker;

/* What the selection policy may look at when a connection's first payload arrives. */
struct pe_select_ctx {
	uint32_t client_addr;     /* network order */
	uint16_t client_port;     /* network order */
	const uint8_t *payload;   /* first payload (delayed binding) */
	uint16_t payload_len;
	uint64_t members;         /* candidates: bit i for backends[i] (an inspector's pool, or all) */
};

/*
 * A backend selection policy: one file per policy (lb_<name>.c), listed in
 * lb.c. select() returns the index of a backend among ctx->members that
 * pe_backend_usable() accepts, or -1 when none is.
 */
struct pe_lb_ops {
	const char *name;
	int (*select)(struct pe_worker *w, const struct pe_select_ctx *ctx);
};

extern const struct pe_lb_ops pe_lb_rr_ops;

/* The policy called @name, or NULL. */
const struct pe_lb_ops *pe_lb_find(const char *name);

#endif /* PE_LB_H */
