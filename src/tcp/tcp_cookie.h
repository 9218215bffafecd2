/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TCP_COOKIE_H
#define PE_TCP_COOKIE_H

#include <stdint.h>

/*
 * SYN cookies (after RFC 4987 §3.6 and Linux's encoding): the initial sequence
 * number the engine sends in its SYN-ACK carries everything it needs to build
 * the connection when the client's ACK arrives, so a SYN costs no state.
 *
 *   cookie = H(secret0, 4-tuple) + client ISN + (t << 24)
 *          + ((H(secret1, 4-tuple, t) + mss_index) mod 2^24)
 *
 * t counts 64-second periods; a cookie is valid for PE_COOKIE_MAX_AGE periods.
 * Addresses and ports are in network byte order, as on the wire.
 */
#define PE_COOKIE_PERIOD_SHIFT 6   /* 64 s */
#define PE_COOKIE_MAX_AGE 2

struct pe_cookie_secret {
	uint32_t k[2];
};

struct pe_cookie_tuple {
	uint32_t saddr;  /* client */
	uint32_t daddr;  /* VIP */
	uint16_t sport;
	uint16_t dport;
};

/* MSS classes a cookie can encode: the largest not above the client's is chosen. */
extern const uint16_t pe_cookie_mss_table[4];

/* Period number for a time in seconds. */
static inline uint32_t
pe_cookie_period(uint64_t now_s)
{
	return (uint32_t)(now_s >> PE_COOKIE_PERIOD_SHIFT);
}

/* Index into pe_cookie_mss_table for a client's MSS. */
unsigned int pe_cookie_mss_index(uint16_t mss);

uint32_t pe_cookie_make(const struct pe_cookie_secret *s, const struct pe_cookie_tuple *t,
		uint32_t client_isn, uint32_t period, unsigned int mss_index);

/*
 * Check the cookie an ACK returns (@cookie = its ack number - 1, @client_isn =
 * its sequence number - 1). Returns the MSS index, or -1 if the cookie is
 * forged or older than PE_COOKIE_MAX_AGE periods.
 */
int pe_cookie_check(const struct pe_cookie_secret *s, const struct pe_cookie_tuple *t,
		uint32_t client_isn, uint32_t cookie, uint32_t period);

#endif /* PE_TCP_COOKIE_H */
