/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "core/engine.h"
#include "core/log.h"
#include "io/worker.h"
#include "net/arp.h"
#include "net/wire.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_arp, arp, INFO);

#define ARP_ENTRIES 256
#define ARP_PENDING 8

struct arp_entry {
	uint32_t ip;
	struct rte_ether_addr mac;
	uint8_t state;          /* enum pe_arp_state */
	uint8_t tries;          /* requests sent in this resolution */
	uint8_t n_pending;
	uint64_t deadline;      /* TSC: next retry, or end of REACHABLE */
	struct rte_mbuf *pending[ARP_PENDING];
};

struct pe_arp_table {
	struct rte_hash *hash;  /* ip -> index in entries */
	uint32_t n_entries;
	struct arp_entry entries[ARP_ENTRIES];
};

static const char *const state_names[] = {
	[PE_ARP_INCOMPLETE] = "incomplete",
	[PE_ARP_REACHABLE] = "reachable",
	[PE_ARP_STALE] = "stale",
	[PE_ARP_FAILED] = "failed",
};

const char *
pe_arp_state_name(enum pe_arp_state s)
{
	return state_names[s];
}

struct pe_arp_table *
pe_arp_create(const char *name, int socket)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = ARP_ENTRIES * 2,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		/* the worker writes, telemetry (/pe/backends) reads from its own thread */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct pe_arp_table *t;

	t = rte_zmalloc_socket(name, sizeof(*t), 0, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		rte_free(t);
		return NULL;
	}
	return t;
}

static void
arp_drop_pending(struct pe_worker *w, struct arp_entry *e)
{
	PE_CNT_ADD(&w->cnt, drop_arp_unresolved, e->n_pending);
	rte_pktmbuf_free_bulk(e->pending, e->n_pending);
	e->n_pending = 0;
}

void
pe_arp_destroy(struct pe_arp_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_entries; i++)
		rte_pktmbuf_free_bulk(t->entries[i].pending, t->entries[i].n_pending);
	rte_hash_free(t->hash);
	rte_free(t);
}

static struct arp_entry *
arp_find(struct pe_arp_table *t, uint32_t ip)
{
	void *data;

	if (rte_hash_lookup_data(t->hash, &ip, &data) < 0)
		return NULL;
	return &t->entries[(uintptr_t)data];
}

static void
arp_send_request(struct pe_worker *w, struct arp_entry *e)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pe_eng.pool);
	int len;

	if (m == NULL) {
		PE_CNT_INC(&w->cnt, drop_nombuf);
		return;
	}
	len = pe_wire_arp_request(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
			&pe_eng.mac, pe_eng.cfg.source_addr, e->ip);
	rte_pktmbuf_append(m, (uint16_t)len);
	e->tries++;
	e->deadline = w->now + pe_ms_to_tsc(pe_eng.cfg.arp_retry_ms);
	PE_CNT_INC(&w->cnt, arp_request_sent);
	pe_tx(w, m);
}

static void
arp_flush_pending(struct pe_worker *w, struct arp_entry *e)
{
	uint8_t i;

	for (i = 0; i < e->n_pending; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(e->pending[i], struct rte_ether_hdr *);

		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		pe_tx(w, e->pending[i]);
	}
	e->n_pending = 0;
}

/* RFC 826 "merge": update an entry we have; never create one for a stranger. */
static void
arp_learn(struct pe_worker *w, const struct pe_arp_info *info)
{
	struct arp_entry *e = arp_find(w->arp, info->sip);

	if (e == NULL)
		return;
	if (e->state != PE_ARP_REACHABLE || !rte_is_same_ether_addr(&e->mac, &info->sha)) {
		if (e->state != PE_ARP_REACHABLE)
			PE_LOG(DEBUG, arp, "%u.%u.%u.%u resolved", info->sip & 0xff,
					(info->sip >> 8) & 0xff, (info->sip >> 16) & 0xff, info->sip >> 24);
		PE_CNT_INC(&w->cnt, arp_resolved);
	}
	rte_ether_addr_copy(&info->sha, &e->mac);
	e->state = PE_ARP_REACHABLE;
	e->tries = 0;
	e->deadline = w->now + pe_ms_to_tsc(pe_eng.cfg.arp_reachable_ms);
	arp_flush_pending(w, e);
}

/* Is @ip (network order) one of the backends, the only addresses the engine resolves? */
static bool
arp_is_backend(uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < pe_eng.cfg.n_backends; i++)
		if (pe_eng.cfg.backends[i].addr == ip)
			return true;
	return false;
}

void
pe_arp_input(struct pe_worker *w, struct rte_mbuf *m)
{
	struct pe_arp_info info;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	size_t len;

	PE_CNT_INC(&w->cnt, arp_rx);
	if (pe_wire_arp_parse(frame, rte_pktmbuf_data_len(m), &info) < 0) {
		PE_CNT_INC(&w->cnt, drop_arp_malformed);
		rte_pktmbuf_free(m);
		return;
	}
	/* several workers: each resolves the backends itself, so each learns what one hears */
	if (pe_eng.rss != NULL && arp_is_backend(info.sip))
		pe_worker_share(w, m);
	arp_learn(w, &info);
	if (info.op != RTE_ARP_OP_REQUEST) {
		rte_pktmbuf_free(m);
		return;
	}
	if (info.tip != pe_eng.cfg.vip && info.tip != pe_eng.cfg.source_addr) {
		PE_CNT_INC(&w->cnt, drop_arp_not_local);
		rte_pktmbuf_free(m);
		return;
	}
	len = pe_wire_arp_reply(frame, &info, &pe_eng.mac);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	PE_CNT_INC(&w->cnt, arp_reply_sent);
	pe_tx(w, m);
}

void
pe_arp_learn_from(struct pe_worker *w, struct rte_mbuf *m)
{
	struct pe_arp_info info;

	if (pe_wire_arp_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &info) == 0)
		arp_learn(w, &info);
	rte_pktmbuf_free(m);
}

static struct arp_entry *
arp_create(struct pe_worker *w, uint32_t ip)
{
	struct pe_arp_table *t = w->arp;
	struct arp_entry *e;

	if (t->n_entries == ARP_ENTRIES ||
			rte_hash_add_key_data(t->hash, &ip, (void *)(uintptr_t)t->n_entries) < 0) {
		PE_CNT_INC(&w->cnt, drop_arp_table_full);
		return NULL;
	}
	e = &t->entries[t->n_entries++];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->state = PE_ARP_INCOMPLETE;
	arp_send_request(w, e);
	return e;
}

void
pe_arp_output(struct pe_worker *w, uint32_t ip, struct rte_mbuf *m)
{
	struct arp_entry *e = arp_find(w->arp, ip);

	if (e == NULL)
		e = arp_create(w, ip);
	if (e == NULL) {
		if (m != NULL)
			rte_pktmbuf_free(m);
		return;
	}
	if (m == NULL)
		return;
	if (e->state == PE_ARP_REACHABLE || e->state == PE_ARP_STALE) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		pe_tx(w, m);
		return;
	}
	if (e->state == PE_ARP_FAILED) {
		/* someone wants it again: start a new resolution now */
		e->state = PE_ARP_INCOMPLETE;
		e->tries = 0;
		arp_send_request(w, e);
	}
	if (e->n_pending == ARP_PENDING) {
		PE_CNT_INC(&w->cnt, drop_arp_pending_full);
		rte_pktmbuf_free(m);
		return;
	}
	e->pending[e->n_pending++] = m;
}

const struct rte_ether_addr *
pe_arp_lookup(struct pe_worker *w, uint32_t ip)
{
	struct arp_entry *e = arp_find(w->arp, ip);

	if (e == NULL || (e->state != PE_ARP_REACHABLE && e->state != PE_ARP_STALE))
		return NULL;
	return &e->mac;
}

enum pe_arp_state
pe_arp_state(struct pe_worker *w, uint32_t ip)
{
	struct arp_entry *e = arp_find(w->arp, ip);

	return e == NULL ? PE_ARP_FAILED : (enum pe_arp_state)e->state;
}

void
pe_arp_tick(struct pe_worker *w)
{
	struct pe_arp_table *t = w->arp;
	uint32_t i;

	for (i = 0; i < t->n_entries; i++) {
		struct arp_entry *e = &t->entries[i];

		if (w->now < e->deadline)
			continue;
		switch (e->state) {
		case PE_ARP_REACHABLE:
			e->state = PE_ARP_STALE;
			e->tries = 0;
			arp_send_request(w, e);
			break;
		case PE_ARP_INCOMPLETE:
		case PE_ARP_STALE:
			if (e->tries < pe_eng.cfg.arp_retries) {
				arp_send_request(w, e);
				break;
			}
			e->state = PE_ARP_FAILED;
			PE_CNT_INC(&w->cnt, arp_resolve_failed);
			arp_drop_pending(w, e);
			/* probe again after a full round of retries */
			e->deadline = w->now + pe_ms_to_tsc((uint64_t)pe_eng.cfg.arp_retry_ms *
					pe_eng.cfg.arp_retries);
			break;
		case PE_ARP_FAILED:
			e->state = PE_ARP_INCOMPLETE;
			e->tries = 0;
			arp_send_request(w, e);
			break;
		}
	}
}
