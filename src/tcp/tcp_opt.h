/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TCP_OPT_H
#define PE_TCP_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP option kinds (RFC 9293, RFC 7323, RFC 2018) */
#define PE_TCPOPT_EOL 0
#define PE_TCPOPT_NOP 1
#define PE_TCPOPT_MSS 2
#define PE_TCPOPT_WSCALE 3
#define PE_TCPOPT_SACK_PERM 4
#define PE_TCPOPT_SACK 5
#define PE_TCPOPT_TS 8

#define PE_TCP_DEFAULT_MSS 536 /* RFC 9293 §3.7.1: when no MSS option is received */

/* What a SYN's options say. */
struct pe_tcp_opts {
	bool has_mss;
	bool has_wscale;
	bool sack_perm;
	bool has_ts;
	uint16_t mss;
	uint8_t wscale;
	uint32_t ts_val;
	uint32_t ts_ecr;
};

/*
 * Parse the options area of a TCP header (@opts, @len bytes, after the fixed
 * 20 bytes). 0, or -EINVAL when an option runs past the end or has a length
 * that its kind does not allow. Unknown kinds with a sane length are skipped.
 */
int pe_tcp_opt_parse(const uint8_t *opts, size_t len, struct pe_tcp_opts *o);

/* Write an MSS option (4 bytes) into @buf; returns 4. */
size_t pe_tcp_opt_put_mss(uint8_t *buf, uint16_t mss);

#endif /* PE_TCP_OPT_H */
