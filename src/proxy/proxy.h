/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PROXY_H
#define PE_PROXY_H

#include "tcp/tcp_seg.h"

struct pe_worker;

/*
 * A TCP segment for one of the engine's addresses (VIP or source address),
 * already validated by net.c. Consumes seg->m.
 */
void pe_proxy_input(struct pe_worker *w, struct pe_tcp_seg *seg);

#endif /* PE_PROXY_H */
