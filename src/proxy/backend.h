/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_BACKEND_H
#define PE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

struct pe_worker;

/*
 * A backend is usable by a worker when its MAC is resolved and it is not in
 * hold-down after a failed handshake (refused, or no answer).
 */
bool pe_backend_usable(struct pe_worker *w, unsigned int idx);

/* Why a handshake with a backend failed. */
enum pe_backend_failure {
	PE_BE_REFUSED,
	PE_BE_TIMEOUT,
	PE_BE_UNREACHABLE,
};

/* A handshake with backend @idx failed (@why): count it, skip it for backend_holddown_ms. */
void pe_backend_failed(struct pe_worker *w, unsigned int idx, enum pe_backend_failure why);

/*
 * When the policy finds no usable backend among @members (bit i:
 * backends[i]) but some are only in hold-down
 * (their MAC is known): the one whose hold-down ends first, counted as
 * backend_fail_open; -1 if none. Hold-down keeps traffic off a backend that
 * just failed while others serve; it must not turn one lost handshake per
 * backend into refusing every client.
 */
int pe_backend_fail_open(struct pe_worker *w, uint64_t members);

/* Start resolving every backend's MAC (at worker start). */
void pe_backend_resolve_all(struct pe_worker *w);

/* "up" or "down", as pe_backend_usable() says on the first worker. */
const char *pe_backend_state_name(struct pe_worker *w, unsigned int idx);

#endif /* PE_BACKEND_H */
