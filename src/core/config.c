/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config file loader: libconfig syntax, strict validation, no DPDK.
 *
 * Every key the file may contain is listed in one of the key tables below;
 * anything else is rejected as "unknown key" so a typo never passes silently.
 * The first problem found ends the load with exactly one message
 * "file:line: key: what is wrong", where key is the full dotted path with
 * list indices (e.g. "backends[1].address").
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>
#include <regex.h>

#include "core/config.h"
#include "inspect/inspect.h"
#include "proto/ber.h"
#include "proto/ldap_rewrite.h"

#define PE_CFG_KEY_MAX 128
#define PE_CFG_TIMEOUT_MAX_MS 86400000 /* one day */
#define PE_CFG_PPM_PER_PERCENT 10000
#define PE_CFG_FAULT_US_MAX 1000000    /* one second */

/*
 * Selection policies the engine implements. Must follow src/proxy/lb_*.c:
 * one entry per policy ops table registered there.
 */
static const char *const pe_config_policies[] = {
	"round-robin",
};

/* How a key is checked and where its value is stored. */
enum pe_cfg_kind {
	PE_CFG_IPV4,  /* dotted IPv4 unicast string -> uint32_t, network order */
	PE_CFG_U8,    /* integer in [min, max] -> uint8_t */
	PE_CFG_U16,   /* integer in [min, max] -> uint16_t */
	PE_CFG_U32,   /* integer in [min, max] -> uint32_t */
	PE_CFG_U64,   /* integer (int64 in the file) in [min, max] -> uint64_t */
	PE_CFG_BOOL,  /* true / false -> bool */
	PE_CFG_NAME,  /* non-empty string shorter than PE_NAME_MAX -> char[] */
	PE_CFG_HEX128, /* string of exactly 32 hex digits -> uint8_t[16], first digits first */
	PE_CFG_PERCENT, /* integer or float percent in [min, max] -> uint32_t parts per million */
	PE_CFG_FAULT_DIR, /* group of pe_fault_dir_keys -> struct pe_fault_dir */
};

struct pe_cfg_key {
	const char *name;
	enum pe_cfg_kind kind;
	size_t offset;   /* into the struct the table describes */
	long long min;
	long long max;
	bool required;
};

#define PE_KEY(n, k, type, field, lo, hi, req) \
	{ (n), (k), offsetof(type, field), (lo), (hi), (req) }

static const struct pe_cfg_key pe_engine_keys[] = {
	PE_KEY("vip", PE_CFG_IPV4, struct pe_config, vip, 0, 0, true),
	PE_KEY("port", PE_CFG_U16, struct pe_config, vport, 1, 65535, false),
	PE_KEY("source_address", PE_CFG_IPV4, struct pe_config, source_addr,
		0, 0, true),
	PE_KEY("source_port_min", PE_CFG_U16, struct pe_config,
		source_port_min, 1024, 65535, false),
	PE_KEY("source_port_max", PE_CFG_U16, struct pe_config,
		source_port_max, 1024, 65535, false),
	PE_KEY("max_connections", PE_CFG_U32, struct pe_config,
		max_connections, 16, 1048576, false),
	PE_KEY("backend_tries", PE_CFG_U32, struct pe_config, backend_tries,
		1, PE_MAX_BACKENDS, false),
	PE_KEY("workers", PE_CFG_U16, struct pe_config, workers, 1, PE_MAX_WORKERS, false),
	PE_KEY("peer_rss", PE_CFG_BOOL, struct pe_config, peer_rss, 0, 0, false),
	{ NULL, 0, 0, 0, 0, false },
};

#define PE_TIMEOUT_KEY(n, field) \
	PE_KEY((n), PE_CFG_U32, struct pe_config, field, 1, \
		PE_CFG_TIMEOUT_MAX_MS, false)

static const struct pe_cfg_key pe_timeout_keys[] = {
	PE_TIMEOUT_KEY("idle_ms", idle_timeout_ms),
	PE_TIMEOUT_KEY("connect_ms", connect_timeout_ms),
	PE_TIMEOUT_KEY("linger_ms", linger_ms),
	PE_TIMEOUT_KEY("arp_reachable_ms", arp_reachable_ms),
	PE_TIMEOUT_KEY("arp_retry_ms", arp_retry_ms),
	PE_KEY("arp_retries", PE_CFG_U32, struct pe_config, arp_retries,
		1, 100, false),
	PE_TIMEOUT_KEY("backend_holddown_ms", backend_holddown_ms),
	{ NULL, 0, 0, 0, 0, false },
};

static const struct pe_cfg_key pe_backend_keys[] = {
	PE_KEY("name", PE_CFG_NAME, struct pe_backend_conf, name, 0, 0, true),
	PE_KEY("address", PE_CFG_IPV4, struct pe_backend_conf, addr,
		0, 0, true),
	PE_KEY("port", PE_CFG_U16, struct pe_backend_conf, port,
		1, 65535, true),
	{ NULL, 0, 0, 0, 0, false },
};

static const struct pe_cfg_key pe_tcp_keys[] = {
	PE_KEY("mss", PE_CFG_U16, struct pe_config, tcp_mss, 536, 9000, false),
	PE_KEY("window_scale", PE_CFG_U8, struct pe_config, tcp_wscale,
		0, 14, false),
	PE_KEY("window_scaling", PE_CFG_BOOL, struct pe_config,
		tcp_window_scaling, 0, 0, false),
	PE_KEY("sack", PE_CFG_BOOL, struct pe_config, tcp_sack, 0, 0, false),
	PE_KEY("timestamps", PE_CFG_BOOL, struct pe_config, tcp_timestamps,
		0, 0, false),
	PE_KEY("rto_ms", PE_CFG_U32, struct pe_config, tcp_rto_ms,
		1, 60000, false),
	PE_KEY("retries", PE_CFG_U32, struct pe_config, tcp_retries,
		1, 30, false),
	PE_KEY("hold_max_bytes", PE_CFG_U32, struct pe_config, hold_max_bytes,
		0, 16777216, false),
	PE_KEY("cookie_period_s", PE_CFG_U32, struct pe_config,
		cookie_period_s, 1, 3600, false),
	PE_KEY("cookie_secret", PE_CFG_HEX128, struct pe_config, cookie_secret,
		0, 0, false),
	{ NULL, 0, 0, 0, 0, false },
};

/* fault_injection { rx: { }; tx: { }; }: percentages are 0..100 in the file. */
static const struct pe_cfg_key pe_fault_dir_keys[] = {
	PE_KEY("loss", PE_CFG_PERCENT, struct pe_fault_dir, loss_ppm,
		0, 100, false),
	PE_KEY("duplicate", PE_CFG_PERCENT, struct pe_fault_dir,
		duplicate_ppm, 0, 100, false),
	PE_KEY("reorder", PE_CFG_PERCENT, struct pe_fault_dir, reorder_ppm,
		0, 100, false),
	PE_KEY("reorder_us", PE_CFG_U32, struct pe_fault_dir, reorder_us,
		1, PE_CFG_FAULT_US_MAX, false),
	PE_KEY("delay_us", PE_CFG_U32, struct pe_fault_dir, delay_us,
		0, PE_CFG_FAULT_US_MAX, false),
	{ NULL, 0, 0, 0, 0, false },
};

static const struct pe_cfg_key pe_fault_keys[] = {
	PE_KEY("seed", PE_CFG_U64, struct pe_fault_conf, seed,
		0, LLONG_MAX, false),
	PE_KEY("rx", PE_CFG_FAULT_DIR, struct pe_fault_conf, dir[0],
		0, 0, false),
	PE_KEY("tx", PE_CFG_FAULT_DIR, struct pe_fault_conf, dir[1],
		0, 0, false),
	{ NULL, 0, 0, 0, 0, false },
};

/* Keys of the top-level scope, handled by pe_cfg_root(). */
static const char *const pe_root_keys[] = {
	"engine", "backends", "selection", "timeouts", "tcp", "fault_injection",
	"pools", "inspect", "ldap",
	NULL,
};

/* State of one load: where messages go and which file they name. */
struct pe_cfg_ctx {
	const char *path;
	char *err;
	size_t errlen;
};

void
pe_config_defaults(struct pe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vport = 389;
	cfg->source_port_min = 20000;
	cfg->source_port_max = 60999;
	cfg->max_connections = 4096;
	cfg->workers = 1;
	cfg->backend_tries = 3;
	snprintf(cfg->selection, sizeof(cfg->selection), "%s", "round-robin");
	cfg->idle_timeout_ms = 300000;
	cfg->connect_timeout_ms = 3000;
	cfg->linger_ms = 500;
	cfg->arp_reachable_ms = 60000;
	cfg->arp_retry_ms = 300;
	cfg->arp_retries = 3;
	cfg->backend_holddown_ms = 2000;
	cfg->tcp_mss = 1460;
	cfg->tcp_wscale = 7;
	cfg->tcp_window_scaling = true;
	cfg->tcp_sack = true;
	cfg->tcp_timestamps = true;
	cfg->tcp_rto_ms = 200;
	cfg->tcp_retries = 6;
	cfg->hold_max_bytes = 65536;
	cfg->cookie_period_s = 64;
	cfg->fault.seed = 1;
	cfg->fault.dir[0].reorder_us = 1000;
	cfg->fault.dir[1].reorder_us = 1000;
	cfg->inspect.max_message_bytes = 262144;
	cfg->inspect.hold_ms = 5000;
	cfg->ldap.default_pool = -1;
	cfg->ldap.allow_ops = UINT32_MAX;
}

/* Format "file:line: key: msg" into ctx->err; always returns -EINVAL. */
static int __attribute__((format(printf, 5, 6)))
pe_cfg_error(const struct pe_cfg_ctx *ctx, const char *file, int line,
	const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ctx->err == NULL || ctx->errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ctx->err, ctx->errlen, "%s:%d: %s: %s",
		file != NULL ? file : ctx->path, line, key, msg);
	return -EINVAL;
}

/* Full key of @s: "a.b", "a[2].b"; the root is "". */
static void
pe_cfg_key_of(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	const char *name = config_setting_name(s);
	size_t used;

	if (parent == NULL) {
		buf[0] = '\0';
		return;
	}
	pe_cfg_key_of(parent, buf, len);
	used = strlen(buf);
	if (name != NULL)
		snprintf(buf + used, len - used, "%s%s",
			used > 0 ? "." : "", name);
	else
		snprintf(buf + used, len - used, "[%d]",
			config_setting_index(s));
}

/* Error about setting @s itself: its file, its line, its full key. */
static int __attribute__((format(printf, 3, 4)))
pe_cfg_error_at(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	const char *fmt, ...)
{
	char key[PE_CFG_KEY_MAX];
	char msg[256];
	va_list ap;

	pe_cfg_key_of(s, key, sizeof(key));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pe_cfg_error(ctx, config_setting_source_file(s),
		config_setting_source_line(s), key, "%s", msg);
}

/* Error about key @name missing from @group: reported at the group's line. */
static int
pe_cfg_error_missing(const struct pe_cfg_ctx *ctx,
	const config_setting_t *group, const char *name)
{
	char key[PE_CFG_KEY_MAX];
	size_t used;
	int line = 1;

	pe_cfg_key_of(group, key, sizeof(key));
	used = strlen(key);
	snprintf(key + used, sizeof(key) - used, "%s%s",
		used > 0 ? "." : "", name);
	if (!config_setting_is_root(group) &&
			config_setting_source_line(group) > 0)
		line = config_setting_source_line(group);
	return pe_cfg_error(ctx, config_setting_source_file(group), line, key,
		"required key is missing");
}

/* "an integer", "a string", ... for type errors. */
static const char *
pe_cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

/* 0 if @s has @type (INT covers INT64), else a type error. */
static int
pe_cfg_expect(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	int type)
{
	int have = config_setting_type(s);

	if (have == type ||
			(type == CONFIG_TYPE_INT && have == CONFIG_TYPE_INT64))
		return 0;
	return pe_cfg_error_at(ctx, s, "expected %s, got %s",
		pe_cfg_type_name(type), pe_cfg_type_name(have));
}

/*
 * Parse a dotted IPv4 address that may be used as a host address: not
 * unspecified, broadcast, multicast or loopback. Network byte order.
 */
static int
pe_cfg_ipv4(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	uint32_t *out)
{
	const char *str = config_setting_get_string(s);
	struct in_addr a;
	uint32_t h;

	if (inet_pton(AF_INET, str, &a) != 1)
		return pe_cfg_error_at(ctx, s, "\"%s\" is not an IPv4 address",
			str);
	h = ntohl(a.s_addr);
	if (h == 0)
		return pe_cfg_error_at(ctx, s,
			"\"%s\" is the unspecified address", str);
	if (h == UINT32_MAX)
		return pe_cfg_error_at(ctx, s,
			"\"%s\" is the broadcast address", str);
	if ((h >> 28) == 0xe)
		return pe_cfg_error_at(ctx, s,
			"\"%s\" is a multicast address", str);
	if ((h >> 24) == 127)
		return pe_cfg_error_at(ctx, s,
			"\"%s\" is a loopback address", str);
	*out = a.s_addr;
	return 0;
}

/*
 * Parse 32 hex digits (either case) into 16 bytes, first digits first. The
 * value is a secret: messages never quote it.
 */
static int
pe_cfg_hex128(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	uint8_t out[16])
{
	const char *str = config_setting_get_string(s);
	size_t i, len = strlen(str);
	uint8_t v[16];
	int d;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)str[i]))
			return pe_cfg_error_at(ctx, s,
				"character %zu is not a hex digit", i + 1);
	if (len != 32)
		return pe_cfg_error_at(ctx, s,
			"%zu hex digits, expected exactly 32", len);
	for (i = 0; i < len; i++) {
		d = isdigit((unsigned char)str[i]) ? str[i] - '0' :
			tolower((unsigned char)str[i]) - 'a' + 10;
		if (i % 2 == 0)
			v[i / 2] = (uint8_t)(d << 4);
		else
			v[i / 2] |= (uint8_t)d;
	}
	memcpy(out, v, sizeof(v));
	return 0;
}

/*
 * Percent (integer or float) in [k->min, k->max] -> parts per million,
 * rounded to the nearest (resolution 0.0001 %).
 */
static int
pe_cfg_percent(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	const struct pe_cfg_key *k, uint32_t *ppm)
{
	int type = config_setting_type(s);
	double v;

	if (type == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else
		return pe_cfg_error_at(ctx, s,
			"expected a percentage (integer or float), got %s",
			pe_cfg_type_name(type));
	if (!(v >= (double)k->min && v <= (double)k->max))
		return pe_cfg_error_at(ctx, s,
			"%g is out of range %lld..%lld (percent)",
			v, k->min, k->max);
	*ppm = (uint32_t)(v * PE_CFG_PPM_PER_PERCENT + 0.5);
	return 0;
}

static int pe_cfg_group(const struct pe_cfg_ctx *ctx,
	const config_setting_t *g, const struct pe_cfg_key *keys, void *base);

/*
 * One direction of fault_injection. The three probabilities are slices of
 * one draw (see io/fault_model.h), so together they may not exceed 100 %.
 */
static int
pe_cfg_fault_dir(const struct pe_cfg_ctx *ctx, const config_setting_t *g,
	struct pe_fault_dir *dir)
{
	uint64_t sum;
	int ret;

	ret = pe_cfg_group(ctx, g, pe_fault_dir_keys, dir);
	if (ret != 0)
		return ret;
	sum = (uint64_t)dir->loss_ppm + dir->duplicate_ppm + dir->reorder_ppm;
	if (sum > 100 * PE_CFG_PPM_PER_PERCENT)
		return pe_cfg_error_at(ctx, g,
			"loss + duplicate + reorder is %g %%, more than 100 %%",
			(double)sum / PE_CFG_PPM_PER_PERCENT);
	return 0;
}

/* Check the value @s against @k and store it at @base + k->offset. */
static int
pe_cfg_scalar(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	const struct pe_cfg_key *k, void *base)
{
	char *dst = (char *)base + k->offset;
	const char *str;
	long long v;
	int ret;

	switch (k->kind) {
	case PE_CFG_IPV4:
		ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_STRING);
		if (ret != 0)
			return ret;
		return pe_cfg_ipv4(ctx, s, (uint32_t *)(void *)dst);
	case PE_CFG_NAME:
		ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_STRING);
		if (ret != 0)
			return ret;
		str = config_setting_get_string(s);
		if (str[0] == '\0')
			return pe_cfg_error_at(ctx, s, "must not be empty");
		if (strlen(str) >= PE_NAME_MAX)
			return pe_cfg_error_at(ctx, s,
				"\"%s\" is longer than %d characters",
				str, PE_NAME_MAX - 1);
		memcpy(dst, str, strlen(str) + 1);
		return 0;
	case PE_CFG_U8:
	case PE_CFG_U16:
	case PE_CFG_U32:
	case PE_CFG_U64:
		ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_INT);
		if (ret != 0)
			return ret;
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return pe_cfg_error_at(ctx, s,
				"%lld is out of range %lld..%lld",
				v, k->min, k->max);
		if (k->kind == PE_CFG_U8)
			*(uint8_t *)dst = (uint8_t)v;
		else if (k->kind == PE_CFG_U16)
			*(uint16_t *)(void *)dst = (uint16_t)v;
		else if (k->kind == PE_CFG_U32)
			*(uint32_t *)(void *)dst = (uint32_t)v;
		else
			*(uint64_t *)(void *)dst = (uint64_t)v;
		return 0;
	case PE_CFG_BOOL:
		ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_BOOL);
		if (ret != 0)
			return ret;
		*(bool *)dst = config_setting_get_bool(s) != 0;
		return 0;
	case PE_CFG_HEX128:
		ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_STRING);
		if (ret != 0)
			return ret;
		return pe_cfg_hex128(ctx, s, (uint8_t *)dst);
	case PE_CFG_PERCENT:
		return pe_cfg_percent(ctx, s, k, (uint32_t *)(void *)dst);
	case PE_CFG_FAULT_DIR:
		return pe_cfg_fault_dir(ctx, s, (struct pe_fault_dir *)(void *)dst);
	}
	return pe_cfg_error_at(ctx, s, "internal: unhandled key kind");
}

/*
 * Load group @g whose keys are all scalars described by @keys into @base.
 * Unknown keys and missing required keys are errors.
 */
static int
pe_cfg_group(const struct pe_cfg_ctx *ctx, const config_setting_t *g,
	const struct pe_cfg_key *keys, void *base)
{
	const struct pe_cfg_key *k;
	config_setting_t *s;
	int i, n, ret;

	ret = pe_cfg_expect(ctx, g, CONFIG_TYPE_GROUP);
	if (ret != 0)
		return ret;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, i);
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, config_setting_name(s)) == 0)
				break;
		if (k->name == NULL)
			return pe_cfg_error_at(ctx, s, "unknown key");
		ret = pe_cfg_scalar(ctx, s, k, base);
		if (ret != 0)
			return ret;
	}
	for (k = keys; k->name != NULL; k++)
		if (k->required && config_setting_get_member(g, k->name) == NULL)
			return pe_cfg_error_missing(ctx, g, k->name);
	return 0;
}

/* Load the backends list: 1..PE_MAX_BACKENDS groups, names and addr:port unique. */
static int
pe_cfg_backends(const struct pe_cfg_ctx *ctx, const config_setting_t *list,
	struct pe_config *cfg)
{
	const struct pe_backend_conf *a, *b;
	config_setting_t *s;
	char ip[INET_ADDRSTRLEN];
	unsigned int i, j, n;
	int ret;

	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
			config_setting_type(list) != CONFIG_TYPE_ARRAY)
		return pe_cfg_error_at(ctx, list, "expected a list, got %s",
			pe_cfg_type_name(config_setting_type(list)));
	n = (unsigned int)config_setting_length(list);
	if (n == 0)
		return pe_cfg_error_at(ctx, list,
			"at least one backend is required");
	if (n > PE_MAX_BACKENDS)
		return pe_cfg_error_at(ctx, list,
			"%u backends, at most %d allowed", n, PE_MAX_BACKENDS);

	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(list, i);
		ret = pe_cfg_group(ctx, s, pe_backend_keys, &cfg->backends[i]);
		if (ret != 0)
			return ret;
		a = &cfg->backends[i];
		for (j = 0; j < i; j++) {
			b = &cfg->backends[j];
			if (strcmp(a->name, b->name) == 0)
				return pe_cfg_error_at(ctx,
					config_setting_get_member(s, "name"),
					"\"%s\" duplicates backends[%u]",
					a->name, j);
			if (a->addr == b->addr && a->port == b->port) {
				inet_ntop(AF_INET, &a->addr, ip, sizeof(ip));
				return pe_cfg_error_at(ctx, s,
					"%s:%u duplicates backends[%u] (%s)",
					ip, a->port, j, b->name);
			}
		}
	}
	cfg->n_backends = n;
	return 0;
}

/* Check the selection policy name against pe_config_policies[]. */
static int
pe_cfg_selection(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	struct pe_config *cfg)
{
	const char *str;
	size_t i;
	int ret;

	ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_STRING);
	if (ret != 0)
		return ret;
	str = config_setting_get_string(s);
	for (i = 0; i < sizeof(pe_config_policies) /
			sizeof(pe_config_policies[0]); i++) {
		if (strcmp(str, pe_config_policies[i]) == 0) {
			snprintf(cfg->selection, sizeof(cfg->selection), "%s",
				str);
			return 0;
		}
	}
	return pe_cfg_error_at(ctx, s, "unknown policy \"%s\"", str);
}

/* Relations between keys that single-key checks cannot see. */
static int
pe_cfg_cross_checks(const struct pe_cfg_ctx *ctx,
	const config_setting_t *engine, const struct pe_config *cfg)
{
	config_setting_t *s;

	if (cfg->source_port_min > cfg->source_port_max) {
		s = config_setting_get_member(engine, "source_port_min");
		if (s == NULL)
			s = config_setting_get_member(engine, "source_port_max");
		return pe_cfg_error_at(ctx, s,
			"%u is greater than engine.source_port_max (%u)",
			cfg->source_port_min, cfg->source_port_max);
	}
	if (cfg->vip == cfg->source_addr)
		return pe_cfg_error_at(ctx,
			config_setting_get_member(engine, "source_address"),
			"\"%s\" is also engine.vip",
			config_setting_get_string(config_setting_get_member(
				engine, "source_address")));
	return 0;
}

/* ---- pools, inspect, ldap ------------------------------------------------- */

/* A string setting @s, non-empty, shorter than @max: 0 with *out, or an error. */
static int
pe_cfg_string(const struct pe_cfg_ctx *ctx, const config_setting_t *s, size_t max,
	const char **out)
{
	const char *str;
	int ret;

	ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_STRING);
	if (ret != 0)
		return ret;
	str = config_setting_get_string(s);
	if (str[0] == '\0')
		return pe_cfg_error_at(ctx, s, "must not be empty");
	if (strlen(str) >= max)
		return pe_cfg_error_at(ctx, s, "longer than %zu characters", max - 1);
	*out = str;
	return 0;
}

/* Every member of group @g must be one of @names (NULL-terminated). */
static int
pe_cfg_known_keys(const struct pe_cfg_ctx *ctx, const config_setting_t *g,
	const char *const *names)
{
	const char *const *name;
	int i, n, ret;

	ret = pe_cfg_expect(ctx, g, CONFIG_TYPE_GROUP);
	if (ret != 0)
		return ret;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);

		for (name = names; *name != NULL; name++)
			if (strcmp(*name, config_setting_name(s)) == 0)
				break;
		if (*name == NULL)
			return pe_cfg_error_at(ctx, s, "unknown key");
	}
	return 0;
}

/* An array or list setting (of strings): 0, or a type error. */
static int
pe_cfg_expect_list(const struct pe_cfg_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY ||
			config_setting_type(s) == CONFIG_TYPE_LIST)
		return 0;
	return pe_cfg_error_at(ctx, s, "expected an array, got %s",
		pe_cfg_type_name(config_setting_type(s)));
}

/*
 * A non-empty array of strings, each looked up by @find (an index, or < 0
 * for unknown: then the error is "@unknown \"value\""); bit index set in
 * *bits for each. @empty is the message for an empty array.
 */
static int
pe_cfg_name_bits(const struct pe_cfg_ctx *ctx, const config_setting_t *a, const char *empty,
	int (*find)(const struct pe_config *cfg, const char *name), const struct pe_config *cfg,
	const char *unknown, uint64_t *bits)
{
	unsigned int i;
	const char *str = NULL;
	int ret, idx;

	ret = pe_cfg_expect_list(ctx, a);
	if (ret != 0)
		return ret;
	if (config_setting_length(a) == 0)
		return pe_cfg_error_at(ctx, a, "%s", empty);
	*bits = 0;
	for (i = 0; i < (unsigned int)config_setting_length(a); i++) {
		const config_setting_t *e = config_setting_get_elem(a, i);

		ret = pe_cfg_string(ctx, e, PE_NAME_MAX, &str);
		if (ret != 0)
			return ret;
		idx = find(cfg, str);
		if (idx < 0)
			return pe_cfg_error_at(ctx, e, unknown, str);
		*bits |= UINT64_C(1) << idx;
	}
	return 0;
}

static int
pe_cfg_find_backend(const struct pe_config *cfg, const char *name)
{
	unsigned int k;

	for (k = 0; k < cfg->n_backends; k++)
		if (strcmp(cfg->backends[k].name, name) == 0)
			return (int)k;
	return -1;
}

static int
pe_cfg_find_ldap_op(const struct pe_config *cfg, const char *name)
{
	(void)cfg;
	return pe_ldap_op_from_name(name);
}

/* pools = ( { name = "..."; backends = [ "be1", ... ]; }, ... ) */
static int
pe_cfg_pools(const struct pe_cfg_ctx *ctx, const config_setting_t *list,
	struct pe_config *cfg)
{
	static const char *const keys[] = { "name", "backends", NULL };
	unsigned int i, j, n;
	int ret;

	ret = pe_cfg_expect_list(ctx, list);
	if (ret != 0)
		return ret;
	n = (unsigned int)config_setting_length(list);
	if (n > PE_MAX_POOLS)
		return pe_cfg_error_at(ctx, list, "%u pools, at most %d allowed",
			n, PE_MAX_POOLS);
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i), *s, *b;
		struct pe_pool_conf *p = &cfg->pools[i];
		const char *str;

		ret = pe_cfg_known_keys(ctx, g, keys);
		if (ret != 0)
			return ret;
		s = config_setting_get_member(g, "name");
		if (s == NULL)
			return pe_cfg_error_missing(ctx, g, "name");
		ret = pe_cfg_string(ctx, s, PE_NAME_MAX, &str);
		if (ret != 0)
			return ret;
		for (j = 0; j < i; j++)
			if (strcmp(cfg->pools[j].name, str) == 0)
				return pe_cfg_error_at(ctx, s,
					"\"%s\" duplicates pools[%u]", str, j);
		memcpy(p->name, str, strlen(str) + 1);
		b = config_setting_get_member(g, "backends");
		if (b == NULL)
			return pe_cfg_error_missing(ctx, g, "backends");
		ret = pe_cfg_name_bits(ctx, b, "a pool needs at least one backend", pe_cfg_find_backend,
			cfg, "no backend is named \"%s\"", &p->members);
		if (ret != 0)
			return ret;
	}
	cfg->n_pools = n;
	return 0;
}

/* The index of the pool named by string setting @s. */
static int
pe_cfg_pool_ref(const struct pe_cfg_ctx *ctx, const config_setting_t *s,
	const struct pe_config *cfg, int *idx)
{
	const char *str;
	unsigned int i;
	int ret;

	ret = pe_cfg_string(ctx, s, PE_NAME_MAX, &str);
	if (ret != 0)
		return ret;
	for (i = 0; i < cfg->n_pools; i++) {
		if (strcmp(cfg->pools[i].name, str) == 0) {
			*idx = (int)i;
			return 0;
		}
	}
	return pe_cfg_error_at(ctx, s, "no pool is named \"%s\" (see pools)", str);
}

/* inspect { protocol; max_message_bytes; hold_ms; on_limit; } */
static int
pe_cfg_inspect(const struct pe_cfg_ctx *ctx, const config_setting_t *g,
	struct pe_config *cfg)
{
	static const char *const keys[] = {
		"protocol", "max_message_bytes", "hold_ms", "on_limit", NULL,
	};
	static const struct pe_cfg_key limits[] = {
		PE_KEY("max_message_bytes", PE_CFG_U32, struct pe_inspect_conf,
			max_message_bytes, 64, PE_BER_MAX_LEN, false),
		PE_KEY("hold_ms", PE_CFG_U32, struct pe_inspect_conf, hold_ms,
			1, PE_CFG_TIMEOUT_MAX_MS, false),
		{ NULL, 0, 0, 0, 0, false },
	};
	const struct pe_cfg_key *k;
	const config_setting_t *s;
	const char *str;
	int ret;

	ret = pe_cfg_known_keys(ctx, g, keys);
	if (ret != 0)
		return ret;
	s = config_setting_get_member(g, "protocol");
	if (s == NULL)
		return pe_cfg_error_missing(ctx, g, "protocol");
	ret = pe_cfg_string(ctx, s, PE_NAME_MAX, &str);
	if (ret != 0)
		return ret;
	if (pe_inspector_find(str) == NULL)
		return pe_cfg_error_at(ctx, s,
			"unknown protocol \"%s\" (known: \"ldap\", \"lines\")", str);
	memcpy(cfg->inspect.protocol, str, strlen(str) + 1);
	for (k = limits; k->name != NULL; k++) {
		s = config_setting_get_member(g, k->name);
		if (s != NULL && (ret = pe_cfg_scalar(ctx, s, k, &cfg->inspect)) != 0)
			return ret;
	}
	s = config_setting_get_member(g, "on_limit");
	if (s != NULL) {
		ret = pe_cfg_string(ctx, s, PE_NAME_MAX, &str);
		if (ret != 0)
			return ret;
		if (strcmp(str, "pass") != 0 && strcmp(str, "reset") != 0)
			return pe_cfg_error_at(ctx, s,
				"\"%s\": expected \"reset\" or \"pass\"", str);
		cfg->inspect.on_limit_pass = strcmp(str, "pass") == 0;
	}
	cfg->inspect.enabled = true;
	return 0;
}

/*
 * An array of LDAP request operation names -> bit per enum pe_ldap_op. An
 * empty one would match nothing (a route) or refuse every request
 * (allow_operations).
 */
static int
pe_cfg_ldap_ops(const struct pe_cfg_ctx *ctx, const config_setting_t *a,
	const struct pe_config *cfg, uint32_t *ops)
{
	uint64_t bits = 0;
	int ret;

	ret = pe_cfg_name_bits(ctx, a, "needs at least one operation", pe_cfg_find_ldap_op, cfg,
		"unknown operation \"%s\" (known: bind unbind search modify add delete moddn "
		"compare abandon extended)", &bits);
	*ops = (uint32_t)bits;
	return ret;
}

/* A DN string: non-empty, shorter than PE_DN_MAX, copied to @dst. */
static int
pe_cfg_dn(const struct pe_cfg_ctx *ctx, const config_setting_t *s, char *dst)
{
	const char *str = NULL;
	int ret;

	ret = pe_cfg_string(ctx, s, PE_DN_MAX, &str);
	if (ret != 0)
		return ret;
	/* DNs compare ignoring spaces at either end: only spaces would match nothing */
	if (strspn(str, " ") == strlen(str))
		return pe_cfg_error_at(ctx, s, "must not be only spaces");
	memcpy(dst, str, strlen(str) + 1);
	return 0;
}

/* One of ldap.routes: exactly one match key, and a pool. */
static int
pe_cfg_route(const struct pe_cfg_ctx *ctx, const config_setting_t *g,
	struct pe_config *cfg, struct pe_route_conf *r)
{
	static const char *const keys[] = {
		"bind_dn", "bind_dn_suffix", "bind_dn_regex", "operations", "pool", NULL,
	};
	const config_setting_t *s, *m = NULL;
	unsigned int i;
	int ret, pool = -1;

	ret = pe_cfg_known_keys(ctx, g, keys);
	if (ret != 0)
		return ret;
	for (i = 0; i < 4; i++) {
		s = config_setting_get_member(g, keys[i]);
		if (s == NULL)
			continue;
		if (m != NULL)
			return pe_cfg_error_at(ctx, s, "a route matches on one of bind_dn, "
				"bind_dn_suffix, bind_dn_regex, operations; %s is given too",
				config_setting_name(m));
		m = s;
		r->match = (uint8_t)i;
	}
	if (m == NULL)
		return pe_cfg_error_at(ctx, g, "a route needs one of bind_dn, bind_dn_suffix, "
			"bind_dn_regex, operations");
	if (r->match == PE_ROUTE_OPERATIONS) {
		ret = pe_cfg_ldap_ops(ctx, m, cfg, &r->ops);
	} else {
		ret = pe_cfg_dn(ctx, m, r->dn);
		if (ret == 0 && r->match == PE_ROUTE_BIND_DN_REGEX) {
			regex_t re;
			char why[128];
			int rc = regcomp(&re, r->dn, REG_EXTENDED | REG_ICASE | REG_NOSUB);

			if (rc != 0) {
				regerror(rc, &re, why, sizeof(why));
				return pe_cfg_error_at(ctx, m, "bad regular expression: %s", why);
			}
			regfree(&re);
		}
	}
	if (ret != 0)
		return ret;
	s = config_setting_get_member(g, "pool");
	if (s == NULL)
		return pe_cfg_error_missing(ctx, g, "pool");
	ret = pe_cfg_pool_ref(ctx, s, cfg, &pool);
	if (ret != 0)
		return ret;
	r->pool = (uint8_t)pool;
	return 0;
}

/* ldap { routes; default_pool; refuse_anonymous; allow_operations; rewrite { } } */
static int
pe_cfg_ldap(const struct pe_cfg_ctx *ctx, const config_setting_t *g,
	struct pe_config *cfg)
{
	static const char *const keys[] = {
		"routes", "default_pool", "refuse_anonymous", "allow_operations", "rewrite", NULL,
	};
	static const char *const rewrite_keys[] = { "client_suffix", "backend_suffix", NULL };
	struct pe_ldap_conf *l = &cfg->ldap;
	const config_setting_t *s, *e;
	unsigned int i, n;
	int ret;

	ret = pe_cfg_known_keys(ctx, g, keys);
	if (ret != 0)
		return ret;
	if (!cfg->inspect.enabled || strcmp(cfg->inspect.protocol, "ldap") != 0)
		return pe_cfg_error_at(ctx, g, "an ldap policy needs inspect.protocol = \"ldap\"");
	s = config_setting_get_member(g, "routes");
	if (s != NULL) {
		ret = pe_cfg_expect_list(ctx, s);
		if (ret != 0)
			return ret;
		n = (unsigned int)config_setting_length(s);
		if (n > PE_MAX_ROUTES)
			return pe_cfg_error_at(ctx, s, "%u routes, at most %d allowed",
				n, PE_MAX_ROUTES);
		for (i = 0; i < n; i++) {
			ret = pe_cfg_route(ctx, config_setting_get_elem(s, i), cfg, &l->routes[i]);
			if (ret != 0)
				return ret;
		}
		l->n_routes = n;
	}
	s = config_setting_get_member(g, "default_pool");
	if (s != NULL && (ret = pe_cfg_pool_ref(ctx, s, cfg, &l->default_pool)) != 0)
		return ret;
	s = config_setting_get_member(g, "refuse_anonymous");
	if (s != NULL) {
		ret = pe_cfg_expect(ctx, s, CONFIG_TYPE_BOOL);
		if (ret != 0)
			return ret;
		l->refuse_anonymous = config_setting_get_bool(s) != 0;
	}
	s = config_setting_get_member(g, "allow_operations");
	if (s != NULL) {
		ret = pe_cfg_ldap_ops(ctx, s, cfg, &l->allow_ops);
		if (ret != 0)
			return ret;
	}
	s = config_setting_get_member(g, "rewrite");
	if (s != NULL) {
		ret = pe_cfg_known_keys(ctx, s, rewrite_keys);
		if (ret != 0)
			return ret;
		for (i = 0; i < 2; i++) {
			e = config_setting_get_member(s, rewrite_keys[i]);
			if (e == NULL)
				return pe_cfg_error_missing(ctx, s, rewrite_keys[i]);
			ret = pe_cfg_dn(ctx, e, i == 0 ? l->client_suffix : l->backend_suffix);
			if (ret != 0)
				return ret;
		}
		l->rewrite = true;
	}
	return 0;
}

/* Walk the top-level scope: unknown keys, then each section in order. */
static int
pe_cfg_root(const struct pe_cfg_ctx *ctx, const config_setting_t *root,
	struct pe_config *cfg)
{
	const config_setting_t *engine, *backends, *s;
	const char *const *name;
	int i, n, ret;

	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, i);
		for (name = pe_root_keys; *name != NULL; name++)
			if (strcmp(*name, config_setting_name(s)) == 0)
				break;
		if (*name == NULL)
			return pe_cfg_error_at(ctx, s, "unknown key");
	}

	engine = config_setting_get_member(root, "engine");
	if (engine == NULL)
		return pe_cfg_error_missing(ctx, root, "engine.vip");
	ret = pe_cfg_group(ctx, engine, pe_engine_keys, cfg);
	if (ret != 0)
		return ret;

	backends = config_setting_get_member(root, "backends");
	if (backends == NULL)
		return pe_cfg_error_missing(ctx, root, "backends");
	ret = pe_cfg_backends(ctx, backends, cfg);
	if (ret != 0)
		return ret;

	s = config_setting_get_member(root, "selection");
	if (s != NULL) {
		ret = pe_cfg_selection(ctx, s, cfg);
		if (ret != 0)
			return ret;
	}

	s = config_setting_get_member(root, "timeouts");
	if (s != NULL) {
		ret = pe_cfg_group(ctx, s, pe_timeout_keys, cfg);
		if (ret != 0)
			return ret;
	}

	/*
	 * window_scaling or sack without timestamps is valid: a SYN-cookie
	 * SYN-ACK can only keep them in the timestamp, so it offers MSS alone.
	 */
	s = config_setting_get_member(root, "tcp");
	if (s != NULL) {
		ret = pe_cfg_group(ctx, s, pe_tcp_keys, cfg);
		if (ret != 0)
			return ret;
		cfg->has_cookie_secret =
			config_setting_get_member(s, "cookie_secret") != NULL;
	}

	s = config_setting_get_member(root, "fault_injection");
	if (s != NULL) {
		ret = pe_cfg_group(ctx, s, pe_fault_keys, &cfg->fault);
		if (ret != 0)
			return ret;
		cfg->fault.enabled = true;
	}

	s = config_setting_get_member(root, "pools");
	if (s != NULL && (ret = pe_cfg_pools(ctx, s, cfg)) != 0)
		return ret;
	s = config_setting_get_member(root, "inspect");
	if (s != NULL && (ret = pe_cfg_inspect(ctx, s, cfg)) != 0)
		return ret;
	s = config_setting_get_member(root, "ldap");
	if (s != NULL && (ret = pe_cfg_ldap(ctx, s, cfg)) != 0)
		return ret;

	return pe_cfg_cross_checks(ctx, engine, cfg);
}

/* Report a file that cannot be read: "file:0: (file): why"; returns @ret. */
static int
pe_cfg_file_error(const struct pe_cfg_ctx *ctx, int ret, const char *why)
{
	if (ctx->err != NULL && ctx->errlen > 0)
		snprintf(ctx->err, ctx->errlen, "%s:0: (file): %s", ctx->path,
			why != NULL ? why : strerror(-ret));
	return ret;
}

int
pe_config_load(const char *path, struct pe_config *cfg, char *err,
	size_t errlen)
{
	struct pe_cfg_ctx ctx = { .path = path, .err = err, .errlen = errlen };
	config_t lc;
	struct stat st;
	FILE *fp;
	int ret;

	pe_config_defaults(cfg);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (strlen(path) >= sizeof(cfg->path))
		return pe_cfg_file_error(&ctx, -ENAMETOOLONG, NULL);
	memcpy(cfg->path, path, strlen(path) + 1);

	fp = fopen(path, "r");
	if (fp == NULL)
		return pe_cfg_file_error(&ctx, errno != 0 ? -errno : -ENOENT,
			NULL);
	/* flex aborts the process on read errors, so feed it files only. */
	if (fstat(fileno(fp), &st) != 0) {
		ret = pe_cfg_file_error(&ctx, -errno, NULL);
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = pe_cfg_file_error(&ctx, -EISDIR, NULL);
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = pe_cfg_file_error(&ctx, -EINVAL, "not a regular file");
		goto out_close;
	}

	config_init(&lc);
	if (config_read(&lc, fp) != CONFIG_TRUE) {
		ret = pe_cfg_error(&ctx, config_error_file(&lc),
			config_error_line(&lc), "(syntax)", "%s",
			config_error_text(&lc));
		goto out_destroy;
	}
	ret = pe_cfg_root(&ctx, config_root_setting(&lc), cfg);

out_destroy:
	config_destroy(&lc);
out_close:
	fclose(fp);
	return ret;
}
