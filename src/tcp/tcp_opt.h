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

#define PE_TCP_DEFAULT_MSS 536   /* RFC 9293 §3.7.1: when no MSS option is received */
#define PE_TCP_MAX_WSCALE 14     /* RFC 7323 §2.3 */
#define PE_TCPOPT_LEN_MAX 40     /* the options area of a TCP header */
#define PE_TCPOPT_SYN_LEN_MAX 20 /* what pe_tcp_opt_build_syn() writes at most */
#define PE_TCPOPT_TS_ALIGNED_LEN 12  /* NOP, NOP, TS */
#define PE_TCPOPT_ABSENT 0xff    /* offset of an option that is not there */

/*
 * What a segment's options say, and where the ones a relay rewrites sit
 * (offsets from the start of the options area, PE_TCPOPT_ABSENT if absent).
 */
struct pe_tcp_opts {
	bool has_mss;
	bool has_wscale;
	bool sack_perm;
	bool has_ts;
	uint16_t mss;
	uint8_t wscale;        /* as received; callers clamp to PE_TCP_MAX_WSCALE */
	uint32_t ts_val;
	uint32_t ts_ecr;
	uint8_t ts_off;
	uint8_t sack_off;      /* SACK option (kind 5) */
	uint8_t sack_blocks;   /* 1..4 when sack_off is set */
	uint8_t eol_off;       /* End of Option List, if any: nothing after it is read */
};

/*
 * Parse the options area of a TCP header (@opts, @len bytes, after the fixed
 * 20 bytes). 0, or -EINVAL when an option runs past the end, has a length its
 * kind does not allow, or a known option appears twice (the two ends could
 * disagree about which one counts). Unknown kinds with a sane length are
 * skipped; EOL ends the list.
 */
int pe_tcp_opt_parse(const uint8_t *opts, size_t len, struct pe_tcp_opts *o);

/*
 * Write the options of a SYN or SYN-ACK offering what @o says (has_mss,
 * has_wscale, sack_perm, has_ts and their values) in the order and alignment
 * Linux uses; returns the length, a multiple of 4, at most
 * PE_TCPOPT_SYN_LEN_MAX:
 *
 *   MSS(4) [SACK-perm(2) TS(10) | NOP NOP TS(10) | NOP NOP SACK-perm(2)] [NOP WS(3)]
 */
size_t pe_tcp_opt_build_syn(uint8_t *buf, const struct pe_tcp_opts *o);

/* Write NOP, NOP, TS(@val, @ecr): PE_TCPOPT_TS_ALIGNED_LEN bytes. */
size_t pe_tcp_opt_put_ts(uint8_t *buf, uint32_t val, uint32_t ecr);

/*
 * Write NOP, NOP, SACK with @n blocks [left, right) (RFC 2018 §3), at most
 * PE_TCPOPT_SACK_BLOCKS_MAX (3: what fits beside a timestamp): 4 + 8n bytes,
 * 0 when @n is 0.
 */
#define PE_TCPOPT_SACK_BLOCKS_MAX 3
size_t pe_tcp_opt_put_sack(uint8_t *buf, const uint32_t blocks[][2], unsigned int n);

/* Rewrite the timestamp option found by pe_tcp_opt_parse() in place. */
void pe_tcp_opt_set_ts(uint8_t *opts, const struct pe_tcp_opts *o, uint32_t val, uint32_t ecr);

/* Add @delta (mod 2^32) to both edges of every SACK block, in place. */
void pe_tcp_opt_sack_shift(uint8_t *opts, const struct pe_tcp_opts *o, uint32_t delta);

/* Overwrite @len bytes at @off with NOPs: the option is gone, the header keeps its length. */
void pe_tcp_opt_strip(uint8_t *opts, uint8_t off, uint8_t len);

/* Length of the SACK option of @o (0 if none). */
static inline uint8_t
pe_tcp_opt_sack_len(const struct pe_tcp_opts *o)
{
	return o->sack_off == PE_TCPOPT_ABSENT ? 0 : (uint8_t)(2 + 8 * o->sack_blocks);
}

/*
 * Rescale a window field received with shift @in_shift for a receiver that
 * applies @out_shift (RFC 7323 §2.3). Rounded down, except that an open
 * window never becomes zero (that would stall the sender for a probe
 * interval); capped at 65535 << @out_shift.
 */
static inline uint16_t
pe_tcp_win_rescale(uint16_t win, uint8_t in_shift, uint8_t out_shift)
{
	uint64_t bytes = (uint64_t)win << in_shift;
	uint64_t out = bytes >> out_shift;

	if (in_shift == out_shift)
		return win;
	if (out > 0xffff)
		return 0xffff;
	if (out == 0 && bytes != 0)
		return 1;
	return (uint16_t)out;
}

#endif /* PE_TCP_OPT_H */
