/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_LOG_H
#define PE_LOG_H

#include <rte_log.h>

/*
 * Per-module log types, registered by each module with
 * RTE_LOG_REGISTER_SUFFIX(pe_logtype_<mod>, <mod>, INFO) and selectable at run
 * time with the EAL option --log-level=pe.<mod>:debug.
 * Never log per packet in the fast path: count instead (counters.def).
 */
extern int pe_logtype_main;
extern int pe_logtype_port;
extern int pe_logtype_arp;
extern int pe_logtype_proxy;
extern int pe_logtype_fault;

#define PE_LOG(level, mod, fmt, ...) \
	rte_log(RTE_LOG_ ## level, pe_logtype_ ## mod, "pe." #mod ": " fmt "\n", ##__VA_ARGS__)

#endif /* PE_LOG_H */
