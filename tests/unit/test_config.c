/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pe_config_load() tests. Run with the working directory tests/unit: fixtures
 * are config/<case>.conf, one kind of bad input per file, and each test checks
 * the exact "file:line: key: message" line and the return value.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#define ERR_LEN 512

/* Large (PATH_MAX + 64 backends): keep it off the cmocka stack. */
static struct pe_config cfg;
static char err[ERR_LEN];

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Load @path and require failure @ret with message exactly @msg. */
static void
expect_error(const char *path, int ret, const char *msg)
{
	assert_int_equal(pe_config_load(path, &cfg, err, sizeof(err)), ret);
	assert_string_equal(err, msg);
}

static void
test_defaults(void **state)
{
	unsigned int i;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	pe_config_defaults(&cfg);
	assert_int_equal(cfg.vip, 0);
	assert_int_equal(cfg.source_addr, 0);
	assert_int_equal(cfg.vport, 389);
	assert_int_equal(cfg.source_port_min, 20000);
	assert_int_equal(cfg.source_port_max, 60999);
	assert_int_equal(cfg.max_connections, 4096);
	assert_int_equal(cfg.n_backends, 0);
	assert_string_equal(cfg.selection, "round-robin");
	assert_int_equal(cfg.idle_timeout_ms, 300000);
	assert_int_equal(cfg.connect_timeout_ms, 3000);
	assert_int_equal(cfg.linger_ms, 500);
	assert_int_equal(cfg.arp_reachable_ms, 60000);
	assert_int_equal(cfg.arp_retry_ms, 300);
	assert_int_equal(cfg.arp_retries, 3);
	assert_int_equal(cfg.backend_holddown_ms, 2000);
	assert_int_equal(cfg.backend_tries, 3);
	assert_int_equal(cfg.workers, 1);
	assert_false(cfg.peer_rss);
	assert_int_equal(cfg.tcp_mss, 1460);
	assert_int_equal(cfg.tcp_wscale, 7);
	assert_true(cfg.tcp_window_scaling);
	assert_true(cfg.tcp_sack);
	assert_true(cfg.tcp_timestamps);
	assert_int_equal(cfg.tcp_rto_ms, 200);
	assert_int_equal(cfg.tcp_retries, 6);
	assert_int_equal(cfg.hold_max_bytes, 65536);
	assert_int_equal(cfg.cookie_period_s, 64);
	assert_false(cfg.has_cookie_secret);
	assert_false(cfg.fault.enabled);
	assert_int_equal(cfg.fault.seed, 1);
	for (i = 0; i < 2; i++) {
		assert_int_equal(cfg.fault.dir[i].loss_ppm, 0);
		assert_int_equal(cfg.fault.dir[i].duplicate_ppm, 0);
		assert_int_equal(cfg.fault.dir[i].reorder_ppm, 0);
		assert_int_equal(cfg.fault.dir[i].reorder_us, 1000);
		assert_int_equal(cfg.fault.dir[i].delay_us, 0);
	}
}

/* Values of testbed/proxyengine.conf (and its copy config/good.conf). */
static void
check_testbed_values(const char *path)
{
	assert_int_equal(pe_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.vip, ip("198.18.0.1"));
	assert_int_equal(cfg.vport, 389);
	assert_int_equal(cfg.source_addr, ip("198.18.0.2"));
	assert_int_equal(cfg.source_port_min, 20000);
	assert_int_equal(cfg.source_port_max, 60999);
	assert_int_equal(cfg.max_connections, 4096);
	assert_int_equal(cfg.n_backends, 2);
	assert_string_equal(cfg.backends[0].name, "be1");
	assert_int_equal(cfg.backends[0].addr, ip("198.18.0.11"));
	assert_int_equal(cfg.backends[0].port, 389);
	assert_string_equal(cfg.backends[1].name, "be2");
	assert_int_equal(cfg.backends[1].addr, ip("198.18.0.12"));
	assert_int_equal(cfg.backends[1].port, 389);
	assert_string_equal(cfg.selection, "round-robin");
	assert_int_equal(cfg.idle_timeout_ms, 300000);
	assert_int_equal(cfg.connect_timeout_ms, 3000);
	assert_int_equal(cfg.linger_ms, 500);
	assert_int_equal(cfg.arp_reachable_ms, 60000);
	assert_int_equal(cfg.arp_retry_ms, 300);
	assert_int_equal(cfg.arp_retries, 3);
	assert_int_equal(cfg.backend_holddown_ms, 2000);
	/* the tcp section there is commented out: defaults */
	assert_int_equal(cfg.backend_tries, 3);
	assert_int_equal(cfg.tcp_mss, 1460);
	assert_false(cfg.has_cookie_secret);
	assert_false(cfg.fault.enabled);
}

static void
test_good(void **state)
{
	(void)state;
	check_testbed_values("config/good.conf");
}

/* Every key of engine.backend_tries/workers/peer_rss, tcp and fault_injection, off its default. */
static void
test_good_tcp_fault(void **state)
{
	static const uint8_t secret[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	const struct pe_fault_dir *rx = &cfg.fault.dir[0];
	const struct pe_fault_dir *tx = &cfg.fault.dir[1];

	(void)state;
	assert_int_equal(pe_config_load("config/good_tcp_fault.conf", &cfg,
		err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.backend_tries, 5);
	assert_int_equal(cfg.workers, 2);
	assert_true(cfg.peer_rss);
	assert_int_equal(cfg.tcp_mss, 1400);
	assert_int_equal(cfg.tcp_wscale, 9);
	assert_false(cfg.tcp_window_scaling);
	assert_false(cfg.tcp_sack);
	assert_false(cfg.tcp_timestamps);
	assert_int_equal(cfg.tcp_rto_ms, 300);
	assert_int_equal(cfg.tcp_retries, 8);
	assert_int_equal(cfg.hold_max_bytes, 0);
	assert_int_equal(cfg.cookie_period_s, 3600);
	assert_true(cfg.has_cookie_secret);
	assert_memory_equal(cfg.cookie_secret, secret, sizeof(secret));
	assert_true(cfg.fault.enabled);
	assert_true(cfg.fault.seed == 12345678901234567ull);
	assert_int_equal(rx->loss_ppm, 50000);
	assert_int_equal(rx->duplicate_ppm, 10000);
	assert_int_equal(rx->reorder_ppm, 25000);
	assert_int_equal(rx->reorder_us, 2000);
	assert_int_equal(rx->delay_us, 0);
	assert_int_equal(tx->loss_ppm, 1);
	assert_int_equal(tx->duplicate_ppm, 2500);
	assert_int_equal(tx->reorder_ppm, 0);
	assert_int_equal(tx->reorder_us, 1000000);
	assert_int_equal(tx->delay_us, 1000000);
}

static void
test_testbed(void **state)
{
	(void)state;
	check_testbed_values("../../testbed/proxyengine.conf");
}

static void
test_missing_file(void **state)
{
	(void)state;
	expect_error("config/does_not_exist.conf", -ENOENT,
		"config/does_not_exist.conf:0: (file): No such file or directory");
}

static void
test_directory(void **state)
{
	(void)state;
	expect_error("config", -EISDIR, "config:0: (file): Is a directory");
}

static void
test_syntax(void **state)
{
	(void)state;
	expect_error("config/syntax.conf", -EINVAL,
		"config/syntax.conf:3: (syntax): syntax error");
}

static void
test_missing_vip(void **state)
{
	(void)state;
	expect_error("config/missing_vip.conf", -EINVAL,
		"config/missing_vip.conf:2: engine.vip: required key is missing");
}

static void
test_missing_source(void **state)
{
	(void)state;
	expect_error("config/missing_source.conf", -EINVAL,
		"config/missing_source.conf:1: engine.source_address: "
		"required key is missing");
}

static void
test_no_backends(void **state)
{
	(void)state;
	expect_error("config/no_backends.conf", -EINVAL,
		"config/no_backends.conf:2: backends: "
		"at least one backend is required");
}

static void
test_bad_ip(void **state)
{
	(void)state;
	expect_error("config/bad_ip.conf", -EINVAL,
		"config/bad_ip.conf:4: engine.vip: "
		"\"198.18.0.300\" is not an IPv4 address");
}

static void
test_loopback(void **state)
{
	(void)state;
	expect_error("config/loopback.conf", -EINVAL,
		"config/loopback.conf:3: backends[0].address: "
		"\"127.0.0.1\" is a loopback address");
}

static void
test_port_zero(void **state)
{
	(void)state;
	expect_error("config/port_zero.conf", -EINVAL,
		"config/port_zero.conf:3: backends[0].port: "
		"0 is out of range 1..65535");
}

static void
test_port_high(void **state)
{
	(void)state;
	expect_error("config/port_high.conf", -EINVAL,
		"config/port_high.conf:4: engine.port: "
		"70000 is out of range 1..65535");
}

static void
test_wrong_type(void **state)
{
	(void)state;
	expect_error("config/wrong_type.conf", -EINVAL,
		"config/wrong_type.conf:4: timeouts.idle_ms: "
		"expected an integer, got a string");
}

static void
test_unknown_top(void **state)
{
	(void)state;
	expect_error("config/unknown_top.conf", -EINVAL,
		"config/unknown_top.conf:3: selektion: unknown key");
}

static void
test_unknown_backend(void **state)
{
	(void)state;
	expect_error("config/unknown_backend.conf", -EINVAL,
		"config/unknown_backend.conf:4: backends[1].adress: unknown key");
}

static void
test_dup_name(void **state)
{
	(void)state;
	expect_error("config/dup_name.conf", -EINVAL,
		"config/dup_name.conf:4: backends[1].name: "
		"\"be1\" duplicates backends[0]");
}

static void
test_dup_addr(void **state)
{
	(void)state;
	expect_error("config/dup_addr.conf", -EINVAL,
		"config/dup_addr.conf:4: backends[1]: "
		"198.18.0.11:389 duplicates backends[0] (be1)");
}

static void
test_port_range(void **state)
{
	(void)state;
	expect_error("config/port_range.conf", -EINVAL,
		"config/port_range.conf:4: engine.source_port_min: "
		"40000 is greater than engine.source_port_max (30000)");
}

static void
test_vip_is_source(void **state)
{
	(void)state;
	expect_error("config/vip_is_source.conf", -EINVAL,
		"config/vip_is_source.conf:3: engine.source_address: "
		"\"198.18.0.1\" is also engine.vip");
}

static void
test_bad_selection(void **state)
{
	(void)state;
	expect_error("config/bad_selection.conf", -EINVAL,
		"config/bad_selection.conf:3: selection: "
		"unknown policy \"least-conn\"");
}

static void
test_zero_timeout(void **state)
{
	(void)state;
	expect_error("config/zero_timeout.conf", -EINVAL,
		"config/zero_timeout.conf:4: timeouts.connect_ms: "
		"0 is out of range 1..86400000");
}

static void
test_backend_not_group(void **state)
{
	(void)state;
	expect_error("config/backend_not_group.conf", -EINVAL,
		"config/backend_not_group.conf:2: backends[0]: "
		"expected a group, got a string");
}

static void
test_name_too_long(void **state)
{
	(void)state;
	expect_error("config/name_too_long.conf", -EINVAL,
		"config/name_too_long.conf:3: backends[0].name: "
		"\"backend-with-a-name-of-32-chars!\" is longer than 31 characters");
}

static void
test_workers_range(void **state)
{
	(void)state;
	expect_error("config/workers_range.conf", -EINVAL,
		"config/workers_range.conf:2: engine.workers: 17 is out of range 1..16");
}

static void
test_backend_tries_zero(void **state)
{
	(void)state;
	expect_error("config/backend_tries_zero.conf", -EINVAL,
		"config/backend_tries_zero.conf:2: engine.backend_tries: "
		"0 is out of range 1..64");
}

static void
test_tcp_wscale_range(void **state)
{
	(void)state;
	expect_error("config/tcp_wscale_range.conf", -EINVAL,
		"config/tcp_wscale_range.conf:5: tcp.window_scale: "
		"15 is out of range 0..14");
}

static void
test_tcp_secret_hex(void **state)
{
	(void)state;
	expect_error("config/tcp_secret_hex.conf", -EINVAL,
		"config/tcp_secret_hex.conf:4: tcp.cookie_secret: "
		"character 31 is not a hex digit");
}

static void
test_tcp_secret_len(void **state)
{
	(void)state;
	expect_error("config/tcp_secret_len.conf", -EINVAL,
		"config/tcp_secret_len.conf:4: tcp.cookie_secret: "
		"34 hex digits, expected exactly 32");
}

static void
test_tcp_bool_type(void **state)
{
	(void)state;
	expect_error("config/tcp_bool_type.conf", -EINVAL,
		"config/tcp_bool_type.conf:4: tcp.sack: "
		"expected a boolean, got an integer");
}

static void
test_tcp_unknown(void **state)
{
	(void)state;
	expect_error("config/tcp_unknown.conf", -EINVAL,
		"config/tcp_unknown.conf:5: tcp.wscale: unknown key");
}

static void
test_fault_percent_range(void **state)
{
	(void)state;
	expect_error("config/fault_percent_range.conf", -EINVAL,
		"config/fault_percent_range.conf:5: fault_injection.rx.loss: "
		"100.5 is out of range 0..100 (percent)");
}

static void
test_fault_percent_type(void **state)
{
	(void)state;
	expect_error("config/fault_percent_type.conf", -EINVAL,
		"config/fault_percent_type.conf:5: fault_injection.tx.loss: "
		"expected a percentage (integer or float), got a string");
}

static void
test_fault_rx_unknown(void **state)
{
	(void)state;
	expect_error("config/fault_rx_unknown.conf", -EINVAL,
		"config/fault_rx_unknown.conf:7: fault_injection.rx.delay: "
		"unknown key");
}

static void
test_fault_sum(void **state)
{
	(void)state;
	expect_error("config/fault_sum.conf", -EINVAL,
		"config/fault_sum.conf:4: fault_injection.tx: "
		"loss + duplicate + reorder is 100.5 %, more than 100 %");
}

static void
test_fault_seed_range(void **state)
{
	(void)state;
	expect_error("config/fault_seed_range.conf", -EINVAL,
		"config/fault_seed_range.conf:4: fault_injection.seed: "
		"-1 is out of range 0..9223372036854775807");
}

/* PE_MAX_BACKENDS + 1 distinct backends, written to a temp file. */
static void
test_too_many_backends(void **state)
{
	char path[] = "/tmp/pe_test_config_XXXXXX";
	char msg[ERR_LEN];
	FILE *fp;
	int fd, i;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fprintf(fp, "engine: { vip = \"198.18.0.1\"; "
		"source_address = \"198.18.0.2\"; };\nbackends = (\n");
	for (i = 0; i <= PE_MAX_BACKENDS; i++)
		fprintf(fp, "\t{ name = \"be%d\"; address = \"198.18.1.%d\"; "
			"port = 389; }%s\n", i, i + 1,
			i < PE_MAX_BACKENDS ? "," : "");
	fprintf(fp, ");\n");
	assert_int_equal(fclose(fp), 0);

	snprintf(msg, sizeof(msg), "%s:2: backends: %d backends, at most %d allowed",
		path, PE_MAX_BACKENDS + 1, PE_MAX_BACKENDS);
	expect_error(path, -EINVAL, msg);
	assert_int_equal(unlink(path), 0);
}

/* ---- pools, inspect, ldap ------------------------------------------------- */

/* Without the sections: no pools, no inspection, the ldap policy's defaults. */
static void
test_policy_absent(void **state)
{
	(void)state;
	assert_int_equal(pe_config_load("config/good.conf", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_pools, 0);
	assert_false(cfg.inspect.enabled);
	assert_string_equal(cfg.inspect.protocol, "");
	assert_int_equal(cfg.inspect.max_message_bytes, 262144);
	assert_int_equal(cfg.inspect.hold_ms, 5000);
	assert_false(cfg.inspect.on_limit_pass);
	assert_int_equal(cfg.ldap.n_routes, 0);
	assert_int_equal(cfg.ldap.default_pool, -1);
	assert_false(cfg.ldap.refuse_anonymous);
	assert_true(cfg.ldap.allow_ops == UINT32_MAX);
	assert_false(cfg.ldap.rewrite);
}

/* inspect with only a protocol: the limits' defaults; no ldap section is needed */
static void
test_policy_defaults(void **state)
{
	(void)state;
	assert_int_equal(pe_config_load("config/policy_defaults.conf", &cfg,
		err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(cfg.inspect.enabled);
	assert_string_equal(cfg.inspect.protocol, "lines");
	assert_int_equal(cfg.inspect.max_message_bytes, 262144);
	assert_int_equal(cfg.inspect.hold_ms, 5000);
	assert_false(cfg.inspect.on_limit_pass);
	assert_int_equal(cfg.n_pools, 0);
	assert_int_equal(cfg.ldap.n_routes, 0);
	assert_int_equal(cfg.ldap.default_pool, -1);
	assert_true(cfg.ldap.allow_ops == UINT32_MAX);
	assert_false(cfg.ldap.rewrite);
}

/* Every key of pools, inspect and ldap (enum pe_ldap_op: bind 0, unbind 2, search 3, ...). */
static void
test_policy_good(void **state)
{
	const struct pe_ldap_conf *l = &cfg.ldap;

	(void)state;
	assert_int_equal(pe_config_load("config/policy_good.conf", &cfg,
		err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.n_backends, 3);
	/* pools: bit i is backends[i]; a backend named twice is one bit */
	assert_int_equal(cfg.n_pools, 3);
	assert_string_equal(cfg.pools[0].name, "people");
	assert_true(cfg.pools[0].members == 0x1);
	assert_string_equal(cfg.pools[1].name, "admin");
	assert_true(cfg.pools[1].members == 0x6);
	assert_string_equal(cfg.pools[2].name, "all");
	assert_true(cfg.pools[2].members == 0x7);
	/* inspect */
	assert_true(cfg.inspect.enabled);
	assert_string_equal(cfg.inspect.protocol, "ldap");
	assert_int_equal(cfg.inspect.max_message_bytes, 65536);
	assert_int_equal(cfg.inspect.hold_ms, 250);
	assert_true(cfg.inspect.on_limit_pass);
	/* ldap routes, in file order, pools resolved */
	assert_int_equal(l->n_routes, 4);
	assert_int_equal(l->routes[0].match, PE_ROUTE_BIND_DN);
	assert_string_equal(l->routes[0].dn, "cn=admin,dc=example,dc=com");
	assert_int_equal(l->routes[0].pool, 1);
	assert_int_equal(l->routes[1].match, PE_ROUTE_BIND_DN_SUFFIX);
	assert_string_equal(l->routes[1].dn, "ou=people,dc=example,dc=com");
	assert_int_equal(l->routes[1].pool, 0);
	assert_int_equal(l->routes[2].match, PE_ROUTE_BIND_DN_REGEX);
	assert_string_equal(l->routes[2].dn, "^cn=[a-z]+,ou=admins,");
	assert_int_equal(l->routes[2].pool, 1);
	assert_int_equal(l->routes[3].match, PE_ROUTE_OPERATIONS);
	/* add 8, modify 6, delete 10, moddn 12 */
	assert_true(l->routes[3].ops == ((1u << 8) | (1u << 6) | (1u << 10) | (1u << 12)));
	assert_string_equal(l->routes[3].dn, "");
	assert_int_equal(l->routes[3].pool, 2);
	assert_int_equal(l->default_pool, 0);
	assert_true(l->refuse_anonymous);
	/* bind 0, unbind 2, search 3, compare 14, abandon 16, extended 23 */
	assert_true(l->allow_ops == ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 14) |
		(1u << 16) | (1u << 23)));
	assert_true(l->rewrite);
	assert_string_equal(l->client_suffix, "dc=corp,dc=example");
	assert_string_equal(l->backend_suffix, "dc=example,dc=com");
}

static void
test_pool_unknown(void **state)
{
	(void)state;
	expect_error("config/pool_unknown.conf", -EINVAL,
		"config/pool_unknown.conf:11: ldap.routes[0].pool: "
		"no pool is named \"admins\" (see pools)");
}

static void
test_pool_default_unknown(void **state)
{
	(void)state;
	expect_error("config/pool_default_unknown.conf", -EINVAL,
		"config/pool_default_unknown.conf:10: ldap.default_pool: "
		"no pool is named \"peeple\" (see pools)");
}

static void
test_pool_backend_unknown(void **state)
{
	(void)state;
	expect_error("config/pool_backend_unknown.conf", -EINVAL,
		"config/pool_backend_unknown.conf:10: pools[1].backends[1]: "
		"no backend is named \"be4\"");
}

static void
test_pool_dup(void **state)
{
	(void)state;
	expect_error("config/pool_dup.conf", -EINVAL,
		"config/pool_dup.conf:10: pools[2].name: \"people\" duplicates pools[0]");
}

static void
test_pool_empty(void **state)
{
	(void)state;
	expect_error("config/pool_empty.conf", -EINVAL,
		"config/pool_empty.conf:8: pools[0].backends: "
		"a pool needs at least one backend");
}

static void
test_pool_unknown_key(void **state)
{
	(void)state;
	expect_error("config/pool_unknown_key.conf", -EINVAL,
		"config/pool_unknown_key.conf:9: pools[0].weight: unknown key");
}

/* Reported at the first of the two in key-table order, naming the second. */
static void
test_route_two_keys(void **state)
{
	(void)state;
	expect_error("config/route_two_keys.conf", -EINVAL,
		"config/route_two_keys.conf:12: ldap.routes[1].operations: "
		"a route matches on one of bind_dn, bind_dn_suffix, bind_dn_regex, "
		"operations; bind_dn_suffix is given too");
}

static void
test_route_no_key(void **state)
{
	(void)state;
	expect_error("config/route_no_key.conf", -EINVAL,
		"config/route_no_key.conf:11: ldap.routes[0]: "
		"a route needs one of bind_dn, bind_dn_suffix, bind_dn_regex, operations");
}

static void
test_route_bad_regex(void **state)
{
	(void)state;
	/* the text after the colon is glibc's regerror() */
	expect_error("config/route_bad_regex.conf", -EINVAL,
		"config/route_bad_regex.conf:11: ldap.routes[0].bind_dn_regex: "
		"bad regular expression: Unmatched ( or \\(");
}

static void
test_route_unknown_op(void **state)
{
	(void)state;
	expect_error("config/route_unknown_op.conf", -EINVAL,
		"config/route_unknown_op.conf:11: ldap.routes[0].operations[1]: "
		"unknown operation \"rename\" (known: bind unbind search modify add "
		"delete moddn compare abandon extended)");
}

/* an empty operations list would never match */
static void
test_route_empty_ops(void **state)
{
	(void)state;
	expect_error("config/route_empty_ops.conf", -EINVAL,
		"config/route_empty_ops.conf:11: ldap.routes[0].operations: "
		"needs at least one operation");
}

/* an empty allow list would refuse every request, binds included */
static void
test_ldap_allow_empty(void **state)
{
	(void)state;
	expect_error("config/ldap_allow_empty.conf", -EINVAL,
		"config/ldap_allow_empty.conf:10: ldap.allow_operations: "
		"needs at least one operation");
}

/* DNs compare ignoring surrounding spaces: a DN of spaces only matches nothing */
static void
test_route_blank_dn(void **state)
{
	(void)state;
	expect_error("config/route_blank_dn.conf", -EINVAL,
		"config/route_blank_dn.conf:11: ldap.routes[0].bind_dn_suffix: "
		"must not be only spaces");
}

static void
test_route_unknown_key(void **state)
{
	(void)state;
	expect_error("config/route_unknown_key.conf", -EINVAL,
		"config/route_unknown_key.conf:11: ldap.routes[0].priority: unknown key");
}

/* Operation names are case-sensitive. */
static void
test_ldap_allow_unknown_op(void **state)
{
	(void)state;
	expect_error("config/ldap_allow_unknown_op.conf", -EINVAL,
		"config/ldap_allow_unknown_op.conf:9: ldap.allow_operations[2]: "
		"unknown operation \"Search\" (known: bind unbind search modify add "
		"delete moddn compare abandon extended)");
}

static void
test_ldap_no_inspect(void **state)
{
	(void)state;
	expect_error("config/ldap_no_inspect.conf", -EINVAL,
		"config/ldap_no_inspect.conf:8: ldap: "
		"an ldap policy needs inspect.protocol = \"ldap\"");
}

static void
test_ldap_inspect_lines(void **state)
{
	(void)state;
	expect_error("config/ldap_inspect_lines.conf", -EINVAL,
		"config/ldap_inspect_lines.conf:8: ldap: "
		"an ldap policy needs inspect.protocol = \"ldap\"");
}

static void
test_ldap_unknown_key(void **state)
{
	(void)state;
	expect_error("config/ldap_unknown_key.conf", -EINVAL,
		"config/ldap_unknown_key.conf:10: ldap.refuse_anonymus: unknown key");
}

static void
test_inspect_unknown_protocol(void **state)
{
	(void)state;
	expect_error("config/inspect_unknown_protocol.conf", -EINVAL,
		"config/inspect_unknown_protocol.conf:8: inspect.protocol: "
		"unknown protocol \"smtp\" (known: \"ldap\", \"lines\")");
}

static void
test_inspect_no_protocol(void **state)
{
	(void)state;
	expect_error("config/inspect_no_protocol.conf", -EINVAL,
		"config/inspect_no_protocol.conf:7: inspect.protocol: "
		"required key is missing");
}

static void
test_inspect_on_limit(void **state)
{
	(void)state;
	expect_error("config/inspect_on_limit.conf", -EINVAL,
		"config/inspect_on_limit.conf:9: inspect.on_limit: "
		"\"drop\": expected \"reset\" or \"pass\"");
}

static void
test_inspect_max_low(void **state)
{
	(void)state;
	expect_error("config/inspect_max_low.conf", -EINVAL,
		"config/inspect_max_low.conf:9: inspect.max_message_bytes: "
		"63 is out of range 64..16777216");
}

static void
test_inspect_max_high(void **state)
{
	(void)state;
	expect_error("config/inspect_max_high.conf", -EINVAL,
		"config/inspect_max_high.conf:9: inspect.max_message_bytes: "
		"16777217 is out of range 64..16777216");
}

static void
test_inspect_unknown_key(void **state)
{
	(void)state;
	expect_error("config/inspect_unknown_key.conf", -EINVAL,
		"config/inspect_unknown_key.conf:9: inspect.hold: unknown key");
}

static void
test_rewrite_no_backend(void **state)
{
	(void)state;
	expect_error("config/rewrite_no_backend.conf", -EINVAL,
		"config/rewrite_no_backend.conf:9: ldap.rewrite.backend_suffix: "
		"required key is missing");
}

static void
test_rewrite_unknown_key(void **state)
{
	(void)state;
	expect_error("config/rewrite_unknown_key.conf", -EINVAL,
		"config/rewrite_unknown_key.conf:12: ldap.rewrite.attributes: unknown key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_testbed),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_missing_vip),
		cmocka_unit_test(test_missing_source),
		cmocka_unit_test(test_no_backends),
		cmocka_unit_test(test_bad_ip),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_port_zero),
		cmocka_unit_test(test_port_high),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_unknown_top),
		cmocka_unit_test(test_unknown_backend),
		cmocka_unit_test(test_dup_name),
		cmocka_unit_test(test_dup_addr),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_vip_is_source),
		cmocka_unit_test(test_bad_selection),
		cmocka_unit_test(test_zero_timeout),
		cmocka_unit_test(test_backend_not_group),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_too_many_backends),
		cmocka_unit_test(test_good_tcp_fault),
		cmocka_unit_test(test_backend_tries_zero),
		cmocka_unit_test(test_workers_range),
		cmocka_unit_test(test_tcp_wscale_range),
		cmocka_unit_test(test_tcp_secret_hex),
		cmocka_unit_test(test_tcp_secret_len),
		cmocka_unit_test(test_tcp_bool_type),
		cmocka_unit_test(test_tcp_unknown),
		cmocka_unit_test(test_fault_percent_range),
		cmocka_unit_test(test_fault_percent_type),
		cmocka_unit_test(test_fault_rx_unknown),
		cmocka_unit_test(test_fault_sum),
		cmocka_unit_test(test_fault_seed_range),
		cmocka_unit_test(test_policy_absent),
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_policy_good),
		cmocka_unit_test(test_pool_unknown),
		cmocka_unit_test(test_pool_default_unknown),
		cmocka_unit_test(test_pool_backend_unknown),
		cmocka_unit_test(test_pool_dup),
		cmocka_unit_test(test_pool_empty),
		cmocka_unit_test(test_pool_unknown_key),
		cmocka_unit_test(test_route_two_keys),
		cmocka_unit_test(test_route_no_key),
		cmocka_unit_test(test_route_bad_regex),
		cmocka_unit_test(test_route_unknown_op),
		cmocka_unit_test(test_route_empty_ops),
		cmocka_unit_test(test_ldap_allow_empty),
		cmocka_unit_test(test_route_blank_dn),
		cmocka_unit_test(test_route_unknown_key),
		cmocka_unit_test(test_ldap_allow_unknown_op),
		cmocka_unit_test(test_ldap_no_inspect),
		cmocka_unit_test(test_ldap_inspect_lines),
		cmocka_unit_test(test_ldap_unknown_key),
		cmocka_unit_test(test_inspect_unknown_protocol),
		cmocka_unit_test(test_inspect_no_protocol),
		cmocka_unit_test(test_inspect_on_limit),
		cmocka_unit_test(test_inspect_max_low),
		cmocka_unit_test(test_inspect_max_high),
		cmocka_unit_test(test_inspect_unknown_key),
		cmocka_unit_test(test_rewrite_no_backend),
		cmocka_unit_test(test_rewrite_unknown_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
