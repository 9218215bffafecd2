/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <sodium.h>

#include "tcp/tcp_cookie.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define PERIOD_MASK (0xffffffffu >> COOKIE_BITS)

/* The common MSS values (Linux's msstab): 536 (RFC 9293 default), 1300 (tunnels), 1440, 1460 (Ethernet). */
const uint16_t pe_cookie_mss_table[4] = { 536, 1300, 1440, 1460 };

/* libsodium's SipHash-2-4 must take 16-byte keys and give 8 bytes. */
_Static_assert(crypto_shorthash_KEYBYTES == PE_COOKIE_SECRET_LEN, "SipHash key size");
_Static_assert(crypto_shorthash_BYTES == 8, "SipHash output size");

unsigned int
pe_cookie_mss_index(uint16_t mss)
{
	unsigned int i;

	for (i = 3; i > 0; i--)
		if (mss >= pe_cookie_mss_table[i])
			return i;
	return 0;
}

static uint64_t
siphash(const uint8_t key[PE_COOKIE_SECRET_LEN], const void *in, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(out, in, len, key);
	memcpy(&v, out, sizeof(v));
	return v;
}

void
pe_cookie_key_derive(const struct pe_cookie_secret *s, uint32_t period, struct pe_cookie_key *key)
{
	uint8_t in[20] = "pe-cookie-key\0\0\0";
	uint64_t h;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		in[14] = (uint8_t)i;
		memcpy(&in[16], &period, sizeof(period));
		h = siphash(s->master, in, sizeof(in));
		memcpy(&key->k[8 * i], &h, sizeof(h));
	}
	key->period = period;
}

static uint64_t
tuple_hash(const struct pe_cookie_key *key, const struct pe_cookie_tuple *t)
{
	uint8_t in[12];

	memcpy(&in[0], &t->saddr, 4);
	memcpy(&in[4], &t->daddr, 4);
	memcpy(&in[8], &t->sport, 2);
	memcpy(&in[10], &t->dport, 2);
	return siphash(key->k, in, sizeof(in));
}

uint32_t
pe_cookie_make(const struct pe_cookie_key *key, const struct pe_cookie_tuple *t,
		uint32_t client_isn, unsigned int mss_index)
{
	uint64_t h = tuple_hash(key, t);

	return (uint32_t)h + client_isn + ((key->period & PERIOD_MASK) << COOKIE_BITS) +
		(((uint32_t)(h >> 32) + mss_index) & COOKIE_MASK);
}

int
pe_cookie_check(const struct pe_cookie_key *keys, unsigned int n_keys,
		const struct pe_cookie_tuple *t, uint32_t client_isn, uint32_t cookie)
{
	unsigned int i;

	if (n_keys > PE_COOKIE_MAX_AGE)
		n_keys = PE_COOKIE_MAX_AGE;
	for (i = 0; i < n_keys; i++) {
		uint64_t h = tuple_hash(&keys[i], t);
		uint32_t v = cookie - (uint32_t)h - client_isn;
		uint32_t mss_index;

		if (v >> COOKIE_BITS != (keys[i].period & PERIOD_MASK))
			continue;
		mss_index = ((v & COOKIE_MASK) - (uint32_t)(h >> 32)) & COOKIE_MASK;
		if (mss_index < 4)
			return (int)mss_index;
	}
	return -1;
}

/*
 * With isn = seq_minus_1 - k, the cookie's value part is v(k) = base + k,
 * base = cookie - H1 - seq_minus_1. Its low 24 bits decode to an MSS index
 * below 4 only for k = (j - (base - H2)) mod 2^24, j = 0..3: four candidates
 * per key, each then checked against the period byte.
 */
bool
pe_cookie_check_window(const struct pe_cookie_key *keys, unsigned int n_keys,
		const struct pe_cookie_tuple *t, uint32_t seq_minus_1, uint32_t span, uint32_t cookie)
{
	unsigned int i, j;

	if (n_keys > PE_COOKIE_MAX_AGE)
		n_keys = PE_COOKIE_MAX_AGE;
	for (i = 0; i < n_keys; i++) {
		uint64_t h = tuple_hash(&keys[i], t);
		uint32_t base = cookie - (uint32_t)h - seq_minus_1;
		uint32_t r = (base - (uint32_t)(h >> 32)) & COOKIE_MASK;

		for (j = 0; j < 4; j++) {
			uint32_t k = (j - r) & COOKIE_MASK;

			if (k <= span && (base + k) >> COOKIE_BITS == (keys[i].period & PERIOD_MASK))
				return true;
		}
	}
	return false;
}

uint32_t
pe_cookie_ts_encode(uint32_t ts_now, const struct pe_cookie_opts *o)
{
	uint32_t bits = o->wscale_ok ? o->wscale : PE_COOKIE_TS_WSCALE_NONE;
	uint32_t ts;

	if (o->sack_ok)
		bits |= PE_COOKIE_TS_SACK;
	ts = (ts_now & ~PE_COOKIE_TS_MASK) | bits;
	if (ts > ts_now)
		ts -= 1u << PE_COOKIE_TS_BITS;
	return ts;
}

int
pe_cookie_ts_decode(uint32_t ts_ecr, struct pe_cookie_opts *o)
{
	uint32_t ws = ts_ecr & PE_COOKIE_TS_WSCALE_NONE;

	if (ts_ecr & 0x20)
		return -1;
	o->sack_ok = (ts_ecr & PE_COOKIE_TS_SACK) != 0;
	o->wscale_ok = ws != PE_COOKIE_TS_WSCALE_NONE;
	if (o->wscale_ok && ws > 14)
		return -1;
	o->wscale = o->wscale_ok ? (uint8_t)ws : 0;
	return 0;
}

uint32_t
pe_cookie_ts_offset(const struct pe_cookie_secret *s, uint32_t saddr, uint32_t daddr)
{
	uint8_t in[16] = "pe-tsoff";

	memcpy(&in[8], &saddr, 4);
	memcpy(&in[12], &daddr, 4);
	return (uint32_t)siphash(s->master, in, sizeof(in));
}
