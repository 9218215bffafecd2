/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "conn/conn.h"

/*
 * Entries live in one array; free ones on a stack of indices. The hash maps
 * each side's key to (index << 1 | side). Single writer (the owning worker),
 * so the hash is created without any concurrency flags.
 */
struct pe_conn_table {
	struct rte_hash *hash;
	struct pe_conn *entries;
	struct pe_stream *streams;   /* by entry index; NULL without inspection */
	struct pe_theap_slot *timer_slots;
	struct pe_theap timers;      /* every entry's timer, on the worker's clock */
	uint32_t *free_stack;
	uint32_t n_free;
	uint32_t max;
	size_t bytes;                /* heap the table took when created, all of it */
};

struct pe_conn_table *
pe_conn_table_create(const char *name, uint32_t max, int socket, bool streams)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = max * 2,
		.key_len = sizeof(struct pe_conn_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		/*
		 * Extendable buckets: a cuckoo table alone may refuse a key before
		 * it holds `entries` keys, and then a backend key is refused (the
		 * client reset) while the entry table still has room. The table-
		 * full test (max_connections 16, all 32 keys used) failed so once.
		 */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_malloc_socket_stats before, after;
	struct pe_conn_table *t;
	uint32_t i;

	if (pe_hold_next_off < 0 && pe_hold_init() < 0)
		return NULL;
	/* what the table costs, measured on the heap rather than added up by hand */
	if (rte_malloc_get_socket_stats(socket < 0 ? 0 : socket, &before) < 0)
		memset(&before, 0, sizeof(before));
	t = rte_zmalloc_socket(name, sizeof(*t), 0, socket);
	if (t == NULL)
		goto fail_nomem;
	t->entries = rte_zmalloc_socket(name, sizeof(t->entries[0]) * max, RTE_CACHE_LINE_SIZE, socket);
	if (t->entries == NULL)
		goto fail_entries;
	t->free_stack = rte_malloc_socket(name, sizeof(t->free_stack[0]) * max, 0, socket);
	if (t->free_stack == NULL)
		goto fail_stack;
	if (streams) {
		t->streams = rte_zmalloc_socket(name, sizeof(t->streams[0]) * max,
				RTE_CACHE_LINE_SIZE, socket);
		if (t->streams == NULL)
			goto fail_streams;
	}
	t->timer_slots = rte_malloc_socket(name, sizeof(t->timer_slots[0]) * max, 0, socket);
	if (t->timer_slots == NULL)
		goto fail_slots;
	pe_theap_init(&t->timers, t->timer_slots, max);
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL)
		goto fail_hash;
	t->max = max;
	for (i = 0; i < max; i++)
		t->free_stack[i] = max - 1 - i;
	t->n_free = max;
	if (rte_malloc_get_socket_stats(socket < 0 ? 0 : socket, &after) == 0 &&
			after.heap_allocsz_bytes > before.heap_allocsz_bytes)
		t->bytes = after.heap_allocsz_bytes - before.heap_allocsz_bytes;
	return t;

fail_hash:
	rte_free(t->timer_slots);
fail_slots:
	rte_free(t->streams);
fail_streams:
	rte_free(t->free_stack);
fail_stack:
	rte_free(t->entries);
fail_entries:
	rte_free(t);
fail_nomem:
	if (rte_errno == 0)
		rte_errno = ENOMEM;
	return NULL;
}

void
pe_conn_table_destroy(struct pe_conn_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	/* free what live entries still hold (held mbufs, armed timers) */
	for (i = 0; i < t->max; i++) {
		struct pe_conn *c = &t->entries[i];

		pe_hold_free(&c->hold);
		if (c->st != NULL)
			pe_stream_free(c->st);
	}
	rte_hash_free(t->hash);
	rte_free(t->timer_slots);
	rte_free(t->streams);
	rte_free(t->free_stack);
	rte_free(t->entries);
	rte_free(t);
}

struct pe_conn *
pe_conn_alloc(struct pe_conn_table *t)
{
	struct pe_conn *c;
	uint32_t i;

	if (t->n_free == 0)
		return NULL;
	i = t->free_stack[--t->n_free];
	c = &t->entries[i];
	memset(c, 0, sizeof(*c));
	if (t->streams != NULL) {
		c->st = &t->streams[i];
		memset(c->st, 0, sizeof(*c->st));
	}
	return c;
}

int
pe_conn_insert(struct pe_conn_table *t, struct pe_conn *c, enum pe_side side)
{
	uintptr_t v = (uintptr_t)(c - t->entries) << 1 | side;

	return rte_hash_add_key_data(t->hash, &c->key[side], (void *)v);
}

struct pe_conn *
pe_conn_lookup(struct pe_conn_table *t, const struct pe_conn_key *key, enum pe_side *side)
{
	void *data;

	if (rte_hash_lookup_data(t->hash, key, &data) < 0)
		return NULL;
	*side = (enum pe_side)((uintptr_t)data & 1);
	return &t->entries[(uintptr_t)data >> 1];
}

/* Remove @c's backend key only (the connection moves to another backend). */
void
pe_conn_remove_backend(struct pe_conn_table *t, struct pe_conn *c)
{
	if (c->flags & PE_CF_BACKEND_KEY)
		rte_hash_del_key(t->hash, &c->key[PE_SIDE_BACKEND]);
	c->flags &= (uint8_t)~PE_CF_BACKEND_KEY;
}

void
pe_conn_release(struct pe_conn_table *t, struct pe_conn *c)
{
	pe_tmr_stop(&t->timers, &c->timer);
	rte_hash_del_key(t->hash, &c->key[PE_SIDE_CLIENT]);
	if (c->flags & PE_CF_BACKEND_KEY)
		rte_hash_del_key(t->hash, &c->key[PE_SIDE_BACKEND]);
	pe_hold_free(&c->hold);
	if (c->st != NULL)
		pe_stream_free(c->st);
	t->free_stack[t->n_free++] = (uint32_t)(c - t->entries);
}

void
pe_conn_timer_arm(struct pe_conn_table *t, struct pe_conn *c, uint64_t due)
{
	/* one slot per entry: never full */
	(void)pe_tmr_arm(&t->timers, &c->timer, due);
}

struct pe_conn *
pe_conn_timer_due(struct pe_conn_table *t, uint64_t now)
{
	struct pe_tmr *tm = pe_theap_pop_due(&t->timers, now);

	return tm == NULL ? NULL : container_of(tm, struct pe_conn, timer);
}

uint32_t
pe_conn_timer_count(const struct pe_conn_table *t)
{
	return pe_theap_count(&t->timers);
}

uint64_t
pe_conn_timer_next(const struct pe_conn_table *t)
{
	return pe_theap_next(&t->timers);
}

void
pe_stream_free(struct pe_stream *st)
{
	unsigned int s;

	for (s = 0; s < 2; s++) {
		pe_hold_free(&st->d[s].pend);
		pe_hold_free(&st->d[s].ooo);
		pe_hold_free(&st->d[s].out);
	}
}

size_t
pe_conn_table_bytes(const struct pe_conn_table *t)
{
	return t->bytes;
}

uint32_t
pe_conn_table_max(const struct pe_conn_table *t)
{
	return t->max;
}

uint32_t
pe_conn_count(const struct pe_conn_table *t)
{
	return t->max - t->n_free;
}
