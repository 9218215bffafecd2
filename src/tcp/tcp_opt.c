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
	while (i < len) {
		uint8_t kind = opts[i], olen;

		if (kind == PE_TCPOPT_EOL)
			break;
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
			if (olen != 4)
				return -EINVAL;
			o->has_mss = true;
			o->mss = get16(&opts[i + 2]);
			break;
		case PE_TCPOPT_WSCALE:
			if (olen != 3)
				return -EINVAL;
			o->has_wscale = true;
			o->wscale = opts[i + 2];
			break;
		case PE_TCPOPT_SACK_PERM:
			if (olen != 2)
				return -EINVAL;
			o->sack_perm = true;
			break;
		case PE_TCPOPT_TS:
			if (olen != 10)
				return -EINVAL;
			o->has_ts = true;
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
pe_tcp_opt_put_mss(uint8_t *buf, uint16_t mss)
{
	buf[0] = PE_TCPOPT_MSS;
	buf[1] = 4;
	buf[2] = (uint8_t)(mss >> 8);
	buf[3] = (uint8_t)mss;
	return 4;
}
