/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TCP_COOKIE_H
#define PE_TCP_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * SYN cookies (RFC 4987 §3.6, encoded as Linux does): the engine's SYN-ACK
 * carries everything it needs to build the connection when the client's ACK
 * arrives, so a SYN costs no state.
 *
 * Sequence number (the cookie proper), for period t with key K(t):
 *
 *   cookie = H1(K(t), 4-tuple) + client ISN + ((t mod 256) << 24)
 *          + ((H2(K(t), 4-tuple) + mss_index) mod 2^24)
 *
 * H1/H2 are the two halves of SipHash-2-4 (libsodium's crypto_shorthash).
 *
 * Secret rotation: the master secret never keys a cookie itself; each period
 * t has its own key K(t) = SipHash(master, "pe-cookie-key" || t), so a key
 * is used for one period and accepted for PE_COOKIE_MAX_AGE - 1 more, then
 * never again. Engines that share the master secret (one VIP behind ECMP)
 * derive the same keys, so a SYN and its ACK may reach different engines.
 *
 * Options that do not fit in the sequence number ride in the low bits of the
 * timestamp value of the SYN-ACK (only when the client sent timestamps); the
 * client echoes it back in TSecr:
 *
 *   bits 0-3  client's window scale, 0xf = no window scaling
 *   bit  4    client sent SACK-permitted
 *   bit  5    reserved (ECN in Linux), sent as 0
 *
 * Addresses and ports are in network byte order, as on the wire.
 */
#define PE_COOKIE_MAX_AGE 2          /* periods a cookie stays valid (this one and the next) */
#define PE_COOKIE_TS_BITS 6
#define PE_COOKIE_TS_MASK ((1u << PE_COOKIE_TS_BITS) - 1)
#define PE_COOKIE_TS_WSCALE_NONE 0xf
#define PE_COOKIE_TS_SACK 0x10

#define PE_COOKIE_SECRET_LEN 16

struct pe_cookie_secret {
	uint8_t master[PE_COOKIE_SECRET_LEN];
};

/* The key of one period, derived from the master secret. */
struct pe_cookie_key {
	uint8_t k[PE_COOKIE_SECRET_LEN];
	uint32_t period;
};

struct pe_cookie_tuple {
	uint32_t saddr;  /* client */
	uint32_t daddr;  /* VIP */
	uint16_t sport;
	uint16_t dport;
};

/* Options a cookie carries in the timestamp. */
struct pe_cookie_opts {
	bool wscale_ok;
	uint8_t wscale;    /* client's shift, valid when wscale_ok */
	bool sack_ok;
};

/* MSS classes a cookie can encode: the largest not above the client's is chosen. */
extern const uint16_t pe_cookie_mss_table[4];

/* Index into pe_cookie_mss_table for a client's MSS. */
unsigned int pe_cookie_mss_index(uint16_t mss);

/* Period number of a time in seconds, for a period of @period_s seconds. */
static inline uint32_t
pe_cookie_period(uint64_t now_s, uint32_t period_s)
{
	return (uint32_t)(now_s / period_s);
}

/* Fill @key with the key of @period. */
void pe_cookie_key_derive(const struct pe_cookie_secret *s, uint32_t period,
		struct pe_cookie_key *key);

uint32_t pe_cookie_make(const struct pe_cookie_key *key, const struct pe_cookie_tuple *t,
		uint32_t client_isn, unsigned int mss_index);

/*
 * Check the cookie an ACK returns (@cookie = its ack number - 1, @client_isn =
 * its sequence number - 1) against the keys of the periods still valid,
 * @keys[0] the current one, @keys[1] the one before (@n_keys of them).
 * Returns the MSS index, or -1 if the cookie is forged or too old.
 */
int pe_cookie_check(const struct pe_cookie_key *keys, unsigned int n_keys,
		const struct pe_cookie_tuple *t, uint32_t client_isn, uint32_t cookie);

/*
 * Could @cookie be valid for a client ISN in [@seq_minus_1 - @span, @seq_minus_1]?
 * For a data segment that failed pe_cookie_check(): true when it may be data
 * of a valid handshake that overtook the first segment (then it is dropped
 * silently rather than reset). Weaker than pe_cookie_check() by design (about
 * @span / 2^32 per key, at most 2^-16): it only chooses between a silent drop
 * and a RST, it never creates a connection.
 */
bool pe_cookie_check_window(const struct pe_cookie_key *keys, unsigned int n_keys,
		const struct pe_cookie_tuple *t, uint32_t seq_minus_1, uint32_t span, uint32_t cookie);

/*
 * Timestamp value for the SYN-ACK: @ts_now with its low bits replaced by the
 * options, never above @ts_now (so the clock the client sees never runs ahead).
 */
uint32_t pe_cookie_ts_encode(uint32_t ts_now, const struct pe_cookie_opts *o);

/* Options from the TSecr of the client's ACK. -1 if the bits are impossible. */
int pe_cookie_ts_decode(uint32_t ts_ecr, struct pe_cookie_opts *o);

/*
 * Offset of the engine's timestamp clock toward one client address (as
 * Linux's per-address offsets: the clock does not reveal the engine's uptime
 * and differs between clients).
 */
uint32_t pe_cookie_ts_offset(const struct pe_cookie_secret *s, uint32_t saddr, uint32_t daddr);

#endif /* PE_TCP_COOKIE_H */
