/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "tcp/tcp_opt.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 *   +------+--------+-----------------+
 *   | kind | length | value (len - 2) |      except EOL and NOP: kind only
 *   +------+--------+-----------------+
 */
int
pe_tcp_opt_parse(const uint8_t *opts, size_t len, struct pe_tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	o->ts_off = PE_TCPOPT_ABSENT;
	o->sack_off = PE_TCPOPT_ABSENT;
	o->eol_off = PE_TCPOPT_ABSENT;
	if (len > PE_TCPOPT_LEN_MAX)
		return -EINVAL;
	/*
	 * Nearly every segment of an established Linux or BSD connection carries
	 * exactly NOP NOP TS (RFC 7323 Appendix A's layout): one comparison, as
	 * Linux's own tcp_parse_aligned_timestamp() does.
	 */
	if (len == 12 && opts[0] == PE_TCPOPT_NOP && opts[1] == PE_TCPOPT_NOP &&
			opts[2] == PE_TCPOPT_TS && opts[3] == 10) {
		o->has_ts = true;
		o->ts_off = 2;
		o->ts_val = get32(&opts[4]);
		o->ts_ecr = get32(&opts[8]);
		return 0;
	}
	while (i < len) {
		uint8_t kind = opts[i], olen;

		if (kind == PE_TCPOPT_EOL) {
			o->eol_off = (uint8_t)i;
			break;
		}
		if (kind == PE_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return -EINVAL;
		olen = opts[i + 1];
		if (olen < 2 || i + olen > len)
			return -EINVAL;
		switch (kind) {
		case PE_TCPOPT_MSS:
			if (olen != 4 || o->has_mss)
				return -EINVAL;
			o->has_mss = true;
			o->mss = get16(&opts[i + 2]);
			break;
		case PE_TCPOPT_WSCALE:
			if (olen != 3 || o->has_wscale)
				return -EINVAL;
			o->has_wscale = true;
			o->wscale = opts[i + 2];
			break;
		case PE_TCPOPT_SACK_PERM:
			if (olen != 2 || o->sack_perm)
				return -EINVAL;
			o->sack_perm = true;
			break;
		case PE_TCPOPT_SACK:
			/* RFC 2018 §3: 1..4 blocks of two 32-bit edges */
			if ((olen - 2) % 8 != 0 || olen == 2 || olen > 34 ||
					o->sack_off != PE_TCPOPT_ABSENT)
				return -EINVAL;
			o->sack_off = (uint8_t)i;
			o->sack_blocks = (uint8_t)((olen - 2) / 8);
			break;
		case PE_TCPOPT_TS:
			if (olen != 10 || o->has_ts)
				return -EINVAL;
			o->has_ts = true;
			o->ts_off = (uint8_t)i;
			o->ts_val = get32(&opts[i + 2]);
			o->ts_ecr = get32(&opts[i + 6]);
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

size_t
pe_tcp_opt_put_ts(uint8_t *buf, uint32_t val, uint32_t ecr)
{
	buf[0] = PE_TCPOPT_NOP;
	buf[1] = PE_TCPOPT_NOP;
	buf[2] = PE_TCPOPT_TS;
	buf[3] = 10;
	put32(&buf[4], val);
	put32(&buf[8], ecr);
	return PE_TCPOPT_TS_ALIGNED_LEN;
}

size_t
pe_tcp_opt_put_sack(uint8_t *buf, const uint32_t blocks[][2], unsigned int n)
{
	unsigned int i;

	if (n == 0)
		return 0;
	if (n > PE_TCPOPT_SACK_BLOCKS_MAX)
		n = PE_TCPOPT_SACK_BLOCKS_MAX;
	buf[0] = PE_TCPOPT_NOP;
	buf[1] = PE_TCPOPT_NOP;
	buf[2] = PE_TCPOPT_SACK;
	buf[3] = (uint8_t)(2 + 8 * n);
	for (i = 0; i < n; i++) {
		put32(&buf[4 + 8 * i], blocks[i][0]);
		put32(&buf[8 + 8 * i], blocks[i][1]);
	}
	return 4 + 8 * n;
}

size_t
pe_tcp_opt_build_syn(uint8_t *buf, const struct pe_tcp_opts *o)
{
	size_t n = 0;

	if (o->has_mss) {
		buf[n++] = PE_TCPOPT_MSS;
		buf[n++] = 4;
		buf[n++] = (uint8_t)(o->mss >> 8);
		buf[n++] = (uint8_t)o->mss;
	}
	if (o->has_ts) {
		if (o->sack_perm) {
			buf[n++] = PE_TCPOPT_SACK_PERM;
			buf[n++] = 2;
		} else {
			buf[n++] = PE_TCPOPT_NOP;
			buf[n++] = PE_TCPOPT_NOP;
		}
		buf[n++] = PE_TCPOPT_TS;
		buf[n++] = 10;
		put32(&buf[n], o->ts_val);
		put32(&buf[n + 4], o->ts_ecr);
		n += 8;
	} else if (o->sack_perm) {
		buf[n++] = PE_TCPOPT_NOP;
		buf[n++] = PE_TCPOPT_NOP;
		buf[n++] = PE_TCPOPT_SACK_PERM;
		buf[n++] = 2;
	}
	if (o->has_wscale) {
		buf[n++] = PE_TCPOPT_NOP;
		buf[n++] = PE_TCPOPT_WSCALE;
		buf[n++] = 3;
		buf[n++] = o->wscale;
	}
	return n;
}

void
pe_tcp_opt_set_ts(uint8_t *opts, const struct pe_tcp_opts *o, uint32_t val, uint32_t ecr)
{
	put32(&opts[o->ts_off + 2], val);
	put32(&opts[o->ts_off + 6], ecr);
}

void
pe_tcp_opt_sack_shift(uint8_t *opts, const struct pe_tcp_opts *o, uint32_t delta)
{
	uint8_t *p = &opts[o->sack_off + 2];
	unsigned int i;

	for (i = 0; i < 2u * o->sack_blocks; i++, p += 4)
		put32(p, get32(p) + delta);
}

void
pe_tcp_opt_strip(uint8_t *opts, uint8_t off, uint8_t len)
{
	memset(&opts[off], PE_TCPOPT_NOP, len);
}
