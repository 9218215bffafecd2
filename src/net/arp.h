/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_ARP_H
#define PE_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct pe_worker;
struct rte_mbuf;

/*
 * Neighbour resolution (RFC 826) for the addresses the engine sends to
 * (backends). Entry states:
 *
 *   INCOMPLETE --reply--> REACHABLE --arp_reachable_ms--> STALE --reply--> REACHABLE
 *        |                                                  |
 *        +------ arp_retries requests unanswered -----------+--> FAILED (re-probed)
 *
 * REACHABLE and STALE entries are usable; STALE ones are being re-resolved.
 * Packets for an unresolved address wait (a few per entry) and leave when
 * the reply comes, or are dropped and counted when resolution fails.
 */
enum pe_arp_state {
	PE_ARP_INCOMPLETE,
	PE_ARP_REACHABLE,
	PE_ARP_STALE,
	PE_ARP_FAILED,
};

struct pe_arp_table;

struct pe_arp_table *pe_arp_create(const char *name, int socket);
void pe_arp_destroy(struct pe_arp_table *t);

/*
 * Handle a received ARP frame (consumes @m). With several workers, a copy
 * goes to each of the others (pe_arp_learn_from()).
 */
void pe_arp_input(struct pe_worker *w, struct rte_mbuf *m);

/* Learn from an ARP frame another worker received, without answering it (consumes @m). */
void pe_arp_learn_from(struct pe_worker *w, struct rte_mbuf *m);

/*
 * Send @m (a frame whose Ethernet destination is to be filled) to @ip:
 * transmitted now if @ip is resolved, else held until it is. Consumes @m.
 * With @m NULL, only starts resolving @ip.
 */
void pe_arp_output(struct pe_worker *w, uint32_t ip, struct rte_mbuf *m);

/* MAC of @ip if resolved (REACHABLE or STALE), else NULL. */
const struct rte_ether_addr *pe_arp_lookup(struct pe_worker *w, uint32_t ip);

/* State of @ip's entry; PE_ARP_FAILED if there is none. */
enum pe_arp_state pe_arp_state(struct pe_worker *w, uint32_t ip);

/* Retries and ageing; call every few milliseconds. */
void pe_arp_tick(struct pe_worker *w);

const char *pe_arp_state_name(enum pe_arp_state s);

#endif /* PE_ARP_H */
