/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxyengine [EAL options] -- [engine options]
 *
 * Startup is the table `stages` below, run in order; on failure or at exit
 * the stages that completed are undone in reverse (one unwind path).
 * Options and the config file are checked before DPDK starts, so a bad
 * config costs no EAL and exits with status 2.
 *
 * `--check` runs the same checks, then only EAL, the mempool and the port
 * (configured, started, stopped): no workers, no telemetry, no traffic. One
 * line per check on stdout, `ok: ...` or `error: ...`, then a final `check:`
 * line; exit 0, 2 (config or profile) or 1 (EAL, port, mempool).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "core/config.h"
#include "core/counters.h"
#include "core/engine.h"
#include "core/log.h"
#include "io/fault.h"
#include "io/port.h"
#include "inspect/inspect.h"
#include "io/record.h"
#include "io/worker.h"
#include "net/rss.h"
#include "proxy/lb.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_main, main, INFO);

#define EXIT_USAGE 2          /* bad option, config or profile */
#define MAX_EAL_ARGS 128
#define PROFILE_LINE_MAX 512
#define MBUF_COUNT 16383      /* fits the 512 MB of a --no-huge run */
#define MBUF_CACHE 256

struct pe_engine pe_eng;

static struct {
	const char *config_path;
	const char *profile_path;
	char **cmd_eal;         /* EAL options of the command line */
	int n_cmd_eal;
	char *profile_argv[MAX_EAL_ARGS];
	int n_profile;
	char *profile_args;     /* storage of profile_argv's strings */
	unsigned int main_lcore;
	bool check;             /* --check: validate, do not forward */
	const char *record_path; /* --record FILE */
	unsigned int n_errors;  /* errors reported (--check counts them) */
} opts;

/* ---- reporting ------------------------------------------------------------ */

/* One line on @f: @tag (may be "") then the message. */
static void
report_line(FILE *f, const char *tag, const char *fmt, va_list ap)
{
	fputs(tag, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

/* A passed check (--check only): "ok: ..." on stdout. */
static void __rte_format_printf(1, 2)
check_ok(const char *fmt, ...)
{
	va_list ap;

	if (!opts.check)
		return;
	va_start(ap, fmt);
	report_line(stdout, "ok: ", fmt, ap);
	va_end(ap);
}

/* A note that fails nothing (--check only): "warning: ..." on stdout. */
static void __rte_format_printf(1, 2)
check_warn(const char *fmt, ...)
{
	va_list ap;

	if (!opts.check)
		return;
	va_start(ap, fmt);
	report_line(stdout, "warning: ", fmt, ap);
	va_end(ap);
}

/*
 * An error before or during startup: the message alone on stderr, or with
 * --check "error: " and the message on stdout, in line with the "ok:" lines.
 */
static void __rte_format_printf(1, 2)
report_error(const char *fmt, ...)
{
	va_list ap;

	opts.n_errors++;
	va_start(ap, fmt);
	report_line(opts.check ? stdout : stderr, opts.check ? "error: " : "", fmt, ap);
	va_end(ap);
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- --config FILE [--profile FILE] [--busy-poll] [--check]\n"
		"       [--deterministic] [--record FILE]\n"
		"       %s --help | --version\n"
		"\n"
		"  --config FILE    engine configuration (libconfig syntax, see README)\n"
		"  --profile FILE   PMD profile: EAL arguments, one per line (pmd-profiles/)\n"
		"  --busy-poll      never sleep when idle (benchmarks); default backs off\n"
		"  --deterministic  clock from the received frames' timestamps (pcap profile),\n"
		"                   stop when input and timers are done, print the counters\n"
		"  --record FILE    also write every frame sent to FILE (pcap), stamped with the\n"
		"                   engine's clock: with --deterministic, the same every run\n"
		"  --check          validate config and profile, start EAL, create the mempool,\n"
		"                   configure, start and stop the port, then exit: forwards\n"
		"                   nothing, no telemetry; one 'ok:'/'error:' line per check\n"
		"  --help           this text\n"
		"  --version        print the version\n"
		"\n"
		"Exit status: 0 normal stop (SIGINT/SIGTERM) or all checks passed,\n"
		"1 startup failure (EAL, mempool, port), 2 bad option, profile or config\n"
		"(message: file:line: key: what is wrong).\n",
		prog, prog);
}

/*
 * Copy @in to @out with every ${NAME} replaced by that environment
 * variable, so one profile serves many runs (the pcap profile's capture
 * files). An unset variable is an error naming it. 0 or -1.
 */
static int
expand_env(const char *in, char *out, size_t cap, const char *path, unsigned int lineno)
{
	size_t o = 0;

	while (*in != '\0') {
		const char *end, *val;
		char name[64];
		size_t n;

		if (in[0] != '$' || in[1] != '{') {
			if (o + 1 >= cap)
				goto too_long;
			out[o++] = *in++;
			continue;
		}
		end = strchr(in + 2, '}');
		n = end == NULL ? 0 : (size_t)(end - in - 2);
		if (end == NULL || n == 0 || n >= sizeof(name)) {
			report_error("%s:%u: (line): '${' without a NAME and '}'", path, lineno);
			return -1;
		}
		memcpy(name, in + 2, n);
		name[n] = '\0';
		val = getenv(name);
		if (val == NULL) {
			report_error("%s:%u: (line): ${%s} is not set in the environment", path,
					lineno, name);
			return -1;
		}
		if (o + strlen(val) + 1 >= cap)
			goto too_long;
		memcpy(out + o, val, strlen(val));
		o += strlen(val);
		in = end + 1;
	}
	out[o] = '\0';
	return 0;
too_long:
	report_error("%s:%u: (line): longer than %d bytes once expanded", path, lineno,
			PROFILE_LINE_MAX - 1);
	return -1;
}

/* Read the profile's lines: one EAL argument each, '#' comments, blank lines ignored. */
static int
load_profile(const char *path)
{
	char line[PROFILE_LINE_MAX], expanded[PROFILE_LINE_MAX];
	size_t used = 0, cap = 0;
	unsigned int lineno = 0;
	char *store = NULL;
	FILE *f;
	size_t starts[MAX_EAL_ARGS];
	int n = 0, i;

	f = fopen(path, "r");
	if (f == NULL) {
		int err = errno;

		report_error("%s:0: (file): cannot open the profile: %s", path, strerror(err));
		return -err;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line, *e;
		size_t len;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			report_error("%s:%u: (line): longer than %d bytes", path, lineno,
					PROFILE_LINE_MAX - 1);
			goto fail;
		}
		e = strchr(s, '#');
		if (e != NULL)
			*e = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		len = strcspn(s, "\r\n");
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		if (n >= MAX_EAL_ARGS) {
			report_error("%s:%u: (line): more than %d EAL arguments", path, lineno,
					MAX_EAL_ARGS);
			goto fail;
		}
		s[len] = '\0';
		if (expand_env(s, expanded, sizeof(expanded), path, lineno) < 0)
			goto fail;
		s = expanded;
		len = strlen(s);
		if (used + len + 1 > cap) {
			char *p;

			cap = (used + len + 1) * 2;
			p = realloc(store, cap);
			if (p == NULL) {
				report_error("%s: out of memory", path);
				goto fail;
			}
			store = p;
		}
		memcpy(store + used, s, len);
		store[used + len] = '\0';
		starts[n++] = used;
		used += len + 1;
	}
	fclose(f);
	for (i = 0; i < n; i++)
		opts.profile_argv[i] = store + starts[i];
	opts.n_profile = n;
	opts.profile_args = store;
	return 0;
fail:
	fclose(f);
	free(store);
	return -EINVAL;
}

/*
 * Split argv at "--": EAL options before, engine options after. Without
 * "--", all arguments are engine options and EAL gets only the profile's.
 * Returns 0 to go on, 1 to exit 0 (help, version), -1 to exit 2.
 */
static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "busy-poll", no_argument, NULL, 'b' },
		{ "check", no_argument, NULL, 'k' },
		{ "deterministic", no_argument, NULL, 'd' },
		{ "record", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int sep = 0, i, c, n_own;
	char **own;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (sep >= MAX_EAL_ARGS) {
		fprintf(stderr, "too many EAL arguments (max %d)\n", MAX_EAL_ARGS);
		return -1;
	}
	opts.cmd_eal = &argv[1];
	opts.n_cmd_eal = sep ? sep - 1 : 0;

	own = sep ? &argv[sep] : argv;   /* own[0] plays argv[0] for getopt */
	n_own = sep ? argc - sep : argc;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(n_own, own, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'p':
			opts.profile_path = optarg;
			break;
		case 'b':
			pe_eng.busy_poll = true;
			break;
		case 'k':
			opts.check = true;
			break;
		case 'd':
			pe_eng.deterministic = true;
			break;
		case 'r':
			opts.record_path = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		case 'V':
			printf("proxyengine %s\n", PE_VERSION);
			return 1;
		default:
			fprintf(stderr, "%s: unknown or incomplete option '%s'\n", argv[0],
					own[optind - 1]);
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind < n_own) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], own[optind]);
		return -1;
	}
	if (opts.config_path == NULL) {
		fprintf(stderr, "%s: --config FILE is required\n", argv[0]);
		usage(stderr, argv[0]);
		return -1;
	}
	return 0;
}

/* ---- startup stages ------------------------------------------------------ */

/* The EAL arguments without argv[0]: the profile's, then the command line's. */
static const char *
eal_arg(int i)
{
	return i < opts.n_profile ? opts.profile_argv[i] : opts.cmd_eal[i - opts.n_profile];
}

static int
n_eal_args(void)
{
	return opts.n_profile + opts.n_cmd_eal;
}

/* True when EAL option @name (e.g. "--no-huge") is among the EAL arguments, alone or "=value". */
static bool
has_eal_arg(const char *name)
{
	size_t len = strlen(name);
	int i;

	for (i = 0; i < n_eal_args(); i++)
		if (strncmp(eal_arg(i), name, len) == 0 &&
				(eal_arg(i)[len] == '\0' || eal_arg(i)[len] == '='))
			return true;
	return false;
}

/* Does EAL need hugepages (no --no-huge)? */
static bool
eal_uses_hugepages(void)
{
	return !has_eal_arg("--no-huge");
}

/* Is the last --huge-unlink of the EAL arguments "always" (files unlinked once mapped)? */
static bool
unlinks_hugepages(void)
{
	const char *last = NULL;
	int i;

	for (i = 0; i < n_eal_args(); i++)
		if (strncmp(eal_arg(i), "--huge-unlink", 13) == 0)
			last = eal_arg(i);
	return last != NULL && (strcmp(last, "--huge-unlink") == 0 ||
			strcmp(last, "--huge-unlink=always") == 0);
}

static int
stage_eal_init(void)
{
	/* the profile's options first, so that the command line's can override them */
	char *argv[2 * MAX_EAL_ARGS + 4];
	int argc = 0, i, rc;

	argv[argc++] = (char *)"proxyengine";
	if (opts.check)
		argv[argc++] = (char *)"--no-telemetry";   /* a check serves nothing */
	for (i = 0; i < n_eal_args(); i++)
		argv[argc++] = (char *)eal_arg(i);
	/* a check must leave no hugepage files behind, even if it is killed */
	if (opts.check && eal_uses_hugepages() && !has_eal_arg("--in-memory") &&
			!unlinks_hugepages())
		argv[argc++] = (char *)"--huge-unlink";
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		rc = rte_errno;
		if (!opts.check)
			fprintf(stderr, "EAL initialisation failed: %s\n", rte_strerror(rc));
		return -rc;
	}
	pe_eng.hz = rte_get_timer_hz();
	/* deterministic: the clock is the capture's, wall-clock time already */
	pe_eng.wall_offset_s = pe_eng.deterministic ? 0 :
		(uint64_t)time(NULL) - rte_get_timer_cycles() / pe_eng.hz;
	opts.main_lcore = rte_get_main_lcore();
	return 0;
}

static void
stage_eal_fini(void)
{
	rte_eal_cleanup();
}

static int
stage_mempool_init(void)
{
	pe_eng.pool = rte_pktmbuf_pool_create("pe_mbuf", MBUF_COUNT, MBUF_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pe_eng.pool == NULL) {
		PE_LOG(ERR, main, "mbuf pool of %u: %s", MBUF_COUNT, rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static void
stage_mempool_fini(void)
{
	rte_mempool_free(pe_eng.pool);
}

static int
stage_port_init(void)
{
	uint16_t n = rte_eth_dev_count_avail();
	struct pe_rss *rss = NULL;
	int rc;

	if (n != 1) {
		PE_LOG(ERR, main, "the PMD profile must provide exactly one port, found %u "
				"(check --profile / --vdev)", n);
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(pe_eng.port_id)
		break;
	if (pe_eng.cfg.workers > 1) {
		rss = rte_malloc("pe_rss", sizeof(*rss), 0);
		if (rss == NULL) {
			PE_LOG(ERR, main, "RSS state: %s", rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	rc = pe_port_start(pe_eng.port_id, pe_eng.cfg.workers, pe_eng.cfg.peer_rss, pe_eng.pool,
			&pe_eng.mac, rss, NULL);
	if (rc < 0) {
		rte_free(rss);
		return rc;
	}
	pe_eng.rss = rss;
	/* the PMD registered it when the timestamp offload was enabled */
	if (pe_eng.deterministic &&
			rte_mbuf_dyn_rx_timestamp_register(&pe_eng.rx_ts_off, &pe_eng.rx_ts_flag) < 0) {
		PE_LOG(ERR, main, "--deterministic: no rx timestamp field: %s", rte_strerror(rte_errno));
		pe_port_stop(pe_eng.port_id);
		return -rte_errno;
	}
	return 0;
}

static void
stage_port_fini(void)
{
	pe_port_stop(pe_eng.port_id);
	rte_free((void *)(uintptr_t)pe_eng.rss);
	pe_eng.rss = NULL;
}

static void stage_workers_fini(void);

/* One lcore per worker: false, reported, when the EAL has fewer (run and --check alike). */
static bool
enough_lcores(void)
{
	if (rte_lcore_count() >= pe_eng.cfg.workers)
		return true;
	report_error("%s: engine.workers = %u needs %u lcores, the EAL has %u (give e.g. -l 0-%u)",
			opts.config_path, pe_eng.cfg.workers, pe_eng.cfg.workers, rte_lcore_count(),
			pe_eng.cfg.workers - 1u);
	return false;
}

/*
 * One worker per queue: queue 0 on the main lcore, queue q on the q-th
 * worker lcore of the EAL's list. Each owns its tables (shared-nothing);
 * with several, each also gets its handoff ring (io/worker.h).
 */
static int
stage_workers_init(void)
{
	unsigned int lcores[PE_MAX_WORKERS], lcore, n = 0;
	struct pe_worker *w;
	uint16_t q;
	int rc;

	if (!enough_lcores())
		return -EINVAL;
	/* the main lcore first, then the others in the EAL's order (whichever lcore is main) */
	lcores[n++] = opts.main_lcore;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n < pe_eng.cfg.workers)
			lcores[n++] = lcore;
	}
	for (q = 0; q < pe_eng.cfg.workers; q++) {
		lcore = lcores[q];
		if (pe_eng.cfg.workers > 1) {
			rc = pe_worker_ring_create(q, (int)rte_lcore_to_socket_id(lcore));
			if (rc < 0) {
				PE_LOG(ERR, main, "worker %u: handoff ring: %s", q, rte_strerror(-rc));
				goto fail;
			}
		}
		w = pe_worker_create(lcore, pe_eng.port_id, q);
		if (w == NULL) {
			rc = -rte_errno;
			PE_LOG(ERR, main, "worker %u on lcore %u: %s", q, lcore, rte_strerror(-rc));
			goto fail;
		}
		pe_eng.workers[lcore] = w;
		pe_eng.n_workers++;
	}
	/* what the other workers' mempool caches may hold (flushed at 1.5 times their size) */
	pe_eng.pool_margin = (pe_eng.cfg.workers - 1u) * (MBUF_CACHE * 3u / 2u);
	if (pe_eng.cfg.fault.enabled)
		pe_fault_log_conf(&pe_eng.cfg.fault);
	return 0;
fail:
	stage_workers_fini();
	return rc;
}

static void
stage_workers_fini(void)
{
	struct pe_worker *gone[PE_MAX_WORKERS];
	unsigned int lcore, n = 0, i;
	uint16_t q;

	/*
	 * Unpublish first so that telemetry stops finding them. A query already
	 * inside a handler could still read one: telemetry commands cannot be
	 * unregistered in DPDK 22.11, and the window is one handler call.
	 */
	RTE_LCORE_FOREACH(lcore) {
		if (pe_eng.workers[lcore] != NULL && n < PE_MAX_WORKERS) {
			gone[n++] = pe_eng.workers[lcore];
			pe_eng.workers[lcore] = NULL;
		}
	}
	pe_eng.n_workers = 0;
	rte_wmb();
	for (i = 0; i < n; i++)
		pe_worker_destroy(gone[i]);
	for (q = 0; q < PE_MAX_WORKERS; q++)
		pe_worker_ring_free(q);
}

static int
stage_telemetry_init(void)
{
	return pe_telemetry_init();
}

struct pe_stage {
	const char *name;
	int (*init)(void);
	void (*fini)(void);
};

static const struct pe_stage stages[] = {
	{ "eal", stage_eal_init, stage_eal_fini },
	{ "mempool", stage_mempool_init, stage_mempool_fini },
	{ "port", stage_port_init, stage_port_fini },
	{ "workers", stage_workers_init, stage_workers_fini },
	{ "telemetry", stage_telemetry_init, NULL },
};

/* The workers of queues 1.. on their lcores; queue 0's runs on the main lcore. */
static void
launch_workers(void)
{
	unsigned int lcore;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (pe_eng.workers[lcore] != NULL &&
				rte_eal_remote_launch(pe_worker_loop, pe_eng.workers[lcore], lcore) != 0) {
			/* an lcore the EAL gave us is busy: nothing polls its queue */
			PE_LOG(ERR, main, "worker on lcore %u: cannot be launched; stopping", lcore);
			pe_eng.quit = 1;
		}
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	pe_eng.quit = 1;
}

/*
 * An inspector's state must fit the room each connection has, its rules the
 * per-worker counters, and their names must be valid telemetry keys.
 */
static int
check_rules(const struct pe_inspector *in)
{
	unsigned int r;

	if (in->conn_state_size > PE_INSPECT_STATE_MAX) {
		report_error("%s: inspector %s: %zu bytes of state per connection, at most %d",
				opts.config_path, in->name, in->conn_state_size, PE_INSPECT_STATE_MAX);
		return -1;
	}
	if (in->n_rules() > PE_INSPECT_MAX_RULES) {
		report_error("%s: inspect: %u rules, at most %d", opts.config_path,
				in->n_rules(), PE_INSPECT_MAX_RULES);
		return -1;
	}
	for (r = 0; r < in->n_rules(); r++) {
		const char *name = in->rule_name(r);

		if (name[0] == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789_/") != strlen(name)) {
			report_error("%s: inspector %s: rule name \"%s\" is not a telemetry key "
					"(letters, digits, _ and /)", opts.config_path, in->name, name);
			return -1;
		}
	}
	return 0;
}

/*
 * Address relations config.c cannot see per key: the engine answers ARP
 * for the VIP and the source address on its port, so no backend may be
 * either (it would ARP for itself and connect to itself).
 */
static int
check_addresses(void)
{
	const struct pe_config *c = &pe_eng.cfg;
	char ip[INET_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < c->n_backends; i++) {
		const char *what = c->backends[i].addr == c->vip ? "engine.vip" :
				c->backends[i].addr == c->source_addr ? "engine.source_address" : NULL;

		if (what == NULL)
			continue;
		inet_ntop(AF_INET, &c->backends[i].addr, ip, sizeof(ip));
		report_error("%s: backends[%u].address: \"%s\" (%s) is also %s: the engine owns it",
				opts.config_path, i, ip, c->backends[i].name, what);
		return -1;
	}
	return 0;
}

/* Config, selection policy, inspector: 0, or -1 with the error reported. */
static int
load_config(void)
{
	char err[PATH_MAX + 256], vip[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];

	if (pe_config_load(opts.config_path, &pe_eng.cfg, err, sizeof(err)) < 0) {
		report_error("%s", err);
		return -1;
	}
	pe_eng.lb = pe_lb_find(pe_eng.cfg.selection);
	if (pe_eng.lb == NULL) {
		report_error("%s:0: selection: no policy \"%s\" in this build",
				opts.config_path, pe_eng.cfg.selection);
		return -1;
	}
	if (pe_eng.cfg.inspect.enabled) {
		pe_eng.inspector = pe_inspector_find(pe_eng.cfg.inspect.protocol);
		if (pe_eng.inspector->init(&pe_eng.cfg, err, sizeof(err)) < 0) {
			report_error("%s: %s", opts.config_path, err);
			return -1;
		}
		if (check_rules(pe_eng.inspector) < 0)
			return -1;
	}
	inet_ntop(AF_INET, &pe_eng.cfg.vip, vip, sizeof(vip));
	inet_ntop(AF_INET, &pe_eng.cfg.source_addr, src, sizeof(src));
	check_ok("config %s: VIP %s:%u, source address %s, %u backend(s), policy %s, inspector %s",
			opts.config_path, vip, pe_eng.cfg.vport, src, pe_eng.cfg.n_backends,
			pe_eng.lb->name, pe_eng.cfg.inspect.enabled ? pe_eng.inspector->name : "none");
	if (check_addresses() < 0)
		return -1;
	check_ok("addresses: VIP %s and source address %s are distinct unicast addresses, "
			"no backend is either", vip, src);
	return 0;
}

/*
 * Everything that needs no DPDK: config and profile. Without --check the
 * first error ends it; with --check both are checked. 0 or -1.
 */
/* Command-line options the config does not allow. 0 or -1, reported. */
static int
check_option_combinations(void)
{
	int bad = 0;

	if (pe_eng.deterministic && pe_eng.cfg.workers != 1) {
		report_error("%s: --deterministic runs one worker: engine.workers is %u",
				opts.config_path, pe_eng.cfg.workers);
		bad = 1;
	}
	if (pe_eng.deterministic && !pe_eng.cfg.has_cookie_secret) {
		report_error("%s: --deterministic needs tcp.cookie_secret: nothing may be drawn "
				"at random", opts.config_path);
		bad = 1;
	}
	if (opts.record_path != NULL && pe_eng.cfg.workers != 1) {
		report_error("%s: --record writes one file from one worker: engine.workers is %u",
				opts.config_path, pe_eng.cfg.workers);
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
load_static(void)
{
	int bad = 0;

	if (load_config() < 0) {
		if (!opts.check)
			return -1;
		bad = 1;
	} else if (check_option_combinations() < 0) {
		if (!opts.check)
			return -1;
		bad = 1;
	}
	if (opts.profile_path != NULL) {
		if (load_profile(opts.profile_path) < 0)
			return -1;
		check_ok("profile %s: %d EAL argument(s)", opts.profile_path, opts.n_profile);
	} else {
		check_ok("profile: none given, EAL arguments from the command line only");
	}
	return bad ? -1 : 0;
}

/* ---- --check: the environment, EAL, mempool and port ------------------------ */

/* Where the EAL arguments come from, for messages. */
static const char *
eal_source(void)
{
	return opts.profile_path != NULL ? opts.profile_path : "EAL command line";
}

/* Read one unsigned number from a sysfs-like file; 0 when unreadable. */
static unsigned long
read_ulong(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Is a hugetlbfs mounted? Its mount point goes to @where. */
static bool
hugetlbfs_mounted(char *where, size_t len)
{
	char dev[256], dir[PATH_MAX], type[64];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return false;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (strcmp(type, "hugetlbfs") == 0) {
			snprintf(where, len, "%s", dir);
			found = true;
			break;
		}
	fclose(f);
	return found;
}

/*
 * Hugepages for a profile without --no-huge: some free, a hugetlbfs mounted
 * (unless --in-memory), at least -m MB. -1 when EAL cannot work.
 */
static int
check_hugepages(void)
{
	char path[PATH_MAX], mnt[PATH_MAX], sizes[256] = "";
	unsigned long free_kb = 0, total_pages = 0, want_mb = 0;
	struct dirent *e;
	size_t used = 0;
	DIR *d;
	int i;

	if (!eal_uses_hugepages()) {
		check_ok("memory: --no-huge, ordinary pages (no hugepages needed)");
		return 0;
	}
	d = opendir("/sys/kernel/mm/hugepages");
	while (d != NULL && (e = readdir(d)) != NULL) {
		unsigned long kb, nr, fr;

		if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/nr_hugepages", e->d_name);
		nr = read_ulong(path);
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages", e->d_name);
		fr = read_ulong(path);
		total_pages += nr;
		free_kb += fr * kb;
		if (used < sizeof(sizes))
			used += snprintf(sizes + used, sizeof(sizes) - used, "%s%lu of %lu x %lu kB free",
					used ? ", " : "", fr, nr, kb);
	}
	if (d != NULL)
		closedir(d);
	for (i = 0; i + 1 < n_eal_args(); i++)
		if (strcmp(eal_arg(i), "-m") == 0)
			want_mb = strtoul(eal_arg(i + 1), NULL, 10);
	if (free_kb == 0) {
		report_error("%s: hugepages: none free (%s): the profile does not use --no-huge; "
				"reserve them in /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages "
				"(docs/hardware-validation.md)", eal_source(),
				total_pages ? sizes : "nr_hugepages is 0 for every size");
		return -1;
	}
	if (!has_eal_arg("--in-memory") && !hugetlbfs_mounted(mnt, sizeof(mnt))) {
		report_error("%s: hugepages: no hugetlbfs mounted (mount -t hugetlbfs nodev "
				"/dev/hugepages; docs/hardware-validation.md)", eal_source());
		return -1;
	}
	if (want_mb > free_kb / 1024) {
		report_error("%s: hugepages: -m %lu needs %lu MB, only %lu MB free (%s)", eal_source(),
				want_mb, want_mb, free_kb / 1024, sizes);
		return -1;
	}
	check_ok("hugepages: %lu MB free (%s)%s%s", free_kb / 1024, sizes,
			has_eal_arg("--in-memory") ? "" : ", hugetlbfs at ",
			has_eal_arg("--in-memory") ? "" : mnt);
	return 0;
}

/* Drivers that let DPDK drive a PCI NIC (mlx*: bifurcated, the kernel driver stays). */
static const char *const dpdk_pci_drivers[] = {
	"vfio-pci", "uio_pci_generic", "igb_uio", "mlx4_core", "mlx5_core", NULL,
};

/*
 * The PCI device @arg names (-a value: [domain:]bus:dev.fn[,devargs]) as a full
 * address in @addr. 0, or -1 when it is not an address.
 */
static int
pci_address(const char *arg, char *addr, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	char tmp[64], *c;
	int colons = 0;

	snprintf(tmp, sizeof(tmp), "%s", arg);
	tmp[strcspn(tmp, ",")] = '\0';   /* devargs */
	for (c = tmp; *c != '\0'; c++)
		colons += *c == ':';
	if (colons == 2 ? sscanf(tmp, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 :
			colons != 1 || sscanf(tmp, "%x:%x.%x", &bus, &dev, &fn) != 3)
		return -1;
	snprintf(addr, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* The value of the i-th EAL argument if it is -a/--allow (NULL otherwise); *skip: 1 when separate. */
static const char *
allow_value(int i, int *skip)
{
	const char *a = eal_arg(i);

	*skip = 0;
	if (strcmp(a, "-a") == 0 || strcmp(a, "--allow") == 0) {
		if (i + 1 >= n_eal_args())
			return NULL;
		*skip = 1;
		return eal_arg(i + 1);
	}
	if (strncmp(a, "-a", 2) == 0)
		return a + 2;
	if (strncmp(a, "--allow=", 8) == 0)
		return a + 8;
	return NULL;
}

/*
 * Each PCI device the EAL arguments allow (-a): present, bound to a driver
 * DPDK can use, with an IOMMU group for vfio-pci. -1 when EAL cannot get
 * the device (absent); a foreign driver is an error but EAL still tries.
 */
static int
check_pci_devices(void)
{
	char addr[32], path[PATH_MAX], link[PATH_MAX];
	const char *const *drv;
	const char *v, *name;
	int i, skip, blocking = 0;
	ssize_t n;

	for (i = 0; i < n_eal_args(); i += 1 + skip) {
		v = allow_value(i, &skip);
		if (v == NULL)
			continue;
		if (pci_address(v, addr, sizeof(addr)) < 0)
			continue;   /* not a PCI address: EAL judges it */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", addr);
		if (access(path, F_OK) != 0) {
			report_error("%s: PCI %s: no such device (%s is absent): is the NIC at %s "
					"installed, and bound to vfio-pci? (docs/hardware-validation.md)",
					eal_source(), addr, path, addr);
			blocking = -1;
			continue;
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0) {
			report_error("%s: PCI %s: bound to no driver: dpdk-devbind.py --bind=vfio-pci %s "
					"(docs/hardware-validation.md)", eal_source(), addr, addr);
			blocking = -1;
			continue;
		}
		link[n] = '\0';
		name = strrchr(link, '/') != NULL ? strrchr(link, '/') + 1 : link;
		for (drv = dpdk_pci_drivers; *drv != NULL; drv++)
			if (strcmp(*drv, name) == 0)
				break;
		if (*drv == NULL) {
			report_error("%s: PCI %s: bound to the kernel driver %s, which DPDK cannot use: "
					"dpdk-devbind.py --bind=vfio-pci %s (docs/hardware-validation.md)",
					eal_source(), addr, name, addr);
			continue;
		}
		if (strcmp(name, "vfio-pci") == 0) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", addr);
			n = readlink(path, link, sizeof(link) - 1);
			if (n < 0) {
				report_error("%s: PCI %s: bound to vfio-pci but in no IOMMU group: enable "
						"the IOMMU (intel_iommu=on or amd_iommu=on on the kernel command "
						"line; docs/hardware-validation.md)", eal_source(), addr);
				blocking = -1;
				continue;
			}
		}
		check_ok("PCI %s: present, bound to %s", addr, name);
	}
	return blocking;
}

/* Why EAL found no port: what the arguments asked for. */
static void
explain_no_port(char *buf, size_t len)
{
	char addr[32];
	size_t used = 0;
	int i, skip;

	buf[0] = '\0';
	for (i = 0; i < n_eal_args() && used < len; i += 1 + skip) {
		const char *v = allow_value(i, &skip);

		if (v != NULL && pci_address(v, addr, sizeof(addr)) == 0)
			used += snprintf(buf + used, len - used, "%sis %s bound to vfio-pci?",
					used ? " " : "", addr);
		else if (strncmp(eal_arg(i), "--vdev", 6) == 0)
			used += snprintf(buf + used, len - used, "%sdid %s probe? (see the EAL log)",
					used ? " " : "", eal_arg(i));
	}
	if (used == 0)
		snprintf(buf, len, "the arguments name no device (-a PCI address or --vdev)");
}

/* Remove what EAL left in its runtime directory (/var/run/dpdk/PREFIX). */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Runtime checks: environment, EAL, port count, mempool, port start/stop. 0 or 1. */
static int
run_check(void)
{
	char rundir[PATH_MAX] = "", why[512], name[RTE_ETH_NAME_MAX_LEN], link_str[64];
	struct rte_ether_addr mac;
	struct pe_port_setup setup;
	struct rte_eth_link link;
	struct rte_mempool *pool = NULL;
	struct pe_rss *rss = NULL;
	uint16_t n_ports, port_id = 0, p, mtu = 0;
	int blocking, rc;

	blocking = check_hugepages();
	if (check_pci_devices() < 0)
		blocking = -1;
	if (blocking < 0) {
		report_error("%s: EAL: not started: it cannot work without the above", eal_source());
		goto out;
	}
	rc = stage_eal_init();
	if (rc < 0) {
		report_error("%s: EAL: initialisation failed: %s%s (see the EAL log above)", eal_source(),
				rte_strerror(-rc), -rc == EINVAL ?
				" (an EAL argument of the profile or command line is invalid?)" : "");
		goto out;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	check_ok("EAL: initialised with %d argument(s) of %s and %d of the command line "
			"(telemetry off), main lcore %u", opts.n_profile,
			opts.profile_path != NULL ? opts.profile_path : "no profile", opts.n_cmd_eal,
			opts.main_lcore);

	n_ports = rte_eth_dev_count_avail();
	if (n_ports == 0) {
		explain_no_port(why, sizeof(why));
		report_error("%s: EAL: no port found: %s", eal_source(), why);
		goto cleanup;
	}
	if (n_ports > 1) {
		size_t used = 0;

		why[0] = '\0';
		RTE_ETH_FOREACH_DEV(p) {
			if (rte_eth_dev_get_name_by_port(p, name) == 0 && used < sizeof(why))
				used += snprintf(why + used, sizeof(why) - used, "%s%s",
						used ? ", " : "", name);
		}
		report_error("%s: %u ports (%s): the profile must provide exactly one", eal_source(),
				n_ports, why);
		goto cleanup;
	}
	RTE_ETH_FOREACH_DEV(port_id)
		break;
	if (rte_eth_dev_get_name_by_port(port_id, name) != 0)
		snprintf(name, sizeof(name), "?");
	check_ok("port: exactly one, port %u (%s)", port_id, name);

	pool = rte_pktmbuf_pool_create("pe_mbuf", MBUF_COUNT, MBUF_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		report_error("%s: mempool: %u mbufs of %u bytes: %s (is -m large enough?)", eal_source(),
				MBUF_COUNT, RTE_MBUF_DEFAULT_BUF_SIZE, rte_strerror(rte_errno));
		goto cleanup;
	}
	check_ok("mempool: %u mbufs of %u bytes, cache %u, socket %d", MBUF_COUNT,
			RTE_MBUF_DEFAULT_BUF_SIZE, MBUF_CACHE, (int)rte_socket_id());

	if (!enough_lcores())
		goto cleanup;
	rss = malloc(sizeof(*rss));
	rc = rss == NULL ? -ENOMEM : pe_port_start(port_id, pe_eng.cfg.workers,
			pe_eng.cfg.peer_rss, pool, &mac, rss, &setup);
	if (rc < 0) {
		report_error("%s: port %u (%s): cannot be configured with %u queue(s) of %u/%u rx/tx "
				"descriptors (engine.workers%s) and started: %s (see the pe.port log above)",
				eal_source(), port_id, name, pe_eng.cfg.workers, PE_RX_DESC, PE_TX_DESC,
				pe_eng.cfg.peer_rss ? ", engine.peer_rss" : "", strerror(-rc));
		goto cleanup;
	}
	if (rte_eth_link_get_nowait(port_id, &link) < 0 ||
			rte_eth_link_to_str(link_str, sizeof(link_str), &link) < 0)
		snprintf(link_str, sizeof(link_str), "link status unknown");
	check_ok("port %u (%s): configured with %u rx/tx queue(s) of %u/%u descriptors, rx checksum "
			"offload %s, RSS %s; started; MAC " RTE_ETHER_ADDR_PRT_FMT "; %s",
			port_id, setup.driver, setup.nb_queues, setup.nb_rxd, setup.nb_txd,
			setup.rx_csum ? "on" : "off", !setup.rss ? "off (one queue)" :
			setup.peer_rss ? "by the peer (engine.peer_rss)" : "on",
			RTE_ETHER_ADDR_BYTES(&mac), link_str);
	if (!rte_is_unicast_ether_addr(&mac) || rte_is_zero_ether_addr(&mac))
		report_error("%s: port %u: MAC " RTE_ETHER_ADDR_PRT_FMT " is not a unicast address: "
				"ARP answers for the VIP would be useless", eal_source(), port_id,
				RTE_ETHER_ADDR_BYTES(&mac));
	else if (rte_eth_dev_get_mtu(port_id, &mtu) != 0)
		check_warn("port %u: MAC unicast; the PMD does not tell its MTU: make sure it is at "
				"least tcp.mss %u + 40", port_id, pe_eng.cfg.tcp_mss);
	else if (mtu < (unsigned int)pe_eng.cfg.tcp_mss + 40)
		report_error("%s: port %u: MTU %u is below tcp.mss %u + 40 of %s: full-sized "
				"segments would not fit", eal_source(), port_id, mtu, pe_eng.cfg.tcp_mss,
				opts.config_path);
	else
		check_ok("port %u: MAC unicast, MTU %u fits tcp.mss %u; VIP and source address "
				"answered on this port", port_id, mtu, pe_eng.cfg.tcp_mss);
	pe_port_stop(port_id);
	check_ok("port %u: stopped and closed", port_id);

cleanup:
	free(rss);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	/* we were the primary process of this prefix: its runtime files are ours */
	if (rundir[0] != '\0')
		nftw(rundir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
out:
	return opts.n_errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The last line of --check. */
static void
check_final(int status)
{
	if (status == EXIT_SUCCESS)
		printf("check: passed (profile %s, config %s)\n",
				opts.profile_path != NULL ? opts.profile_path : "none", opts.config_path);
	else
		printf("check: FAILED, %u error(s) (profile %s, config %s), exit %d\n", opts.n_errors,
				opts.profile_path != NULL ? opts.profile_path : "none", opts.config_path,
				status);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	int rc, done = 0, status = EXIT_SUCCESS;

	rc = parse_args(argc, argv);
	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	if (load_static() < 0) {
		if (opts.check)
			check_final(EXIT_USAGE);
		free(opts.profile_args);
		return EXIT_USAGE;
	}
	if (opts.check) {
		status = run_check();
		check_final(status);
		free(opts.profile_args);
		return status;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "libsodium: initialisation failed\n");
		return EXIT_FAILURE;
	}
	if (pe_eng.cfg.has_cookie_secret) {
		memcpy(pe_eng.cookie_secret.master, pe_eng.cfg.cookie_secret,
				sizeof(pe_eng.cookie_secret.master));
	} else if (getrandom(&pe_eng.cookie_secret, sizeof(pe_eng.cookie_secret), 0) !=
			sizeof(pe_eng.cookie_secret)) {
		fprintf(stderr, "getrandom: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}

	if (opts.record_path != NULL && pe_record_open(opts.record_path) < 0) {
		free(opts.profile_args);
		return EXIT_USAGE;
	}
	for (done = 0; done < (int)RTE_DIM(stages); done++) {
		rc = stages[done].init();
		if (rc < 0) {
			fprintf(stderr, "startup failed at stage '%s': %s\n", stages[done].name,
					strerror(-rc));
			status = EXIT_FAILURE;
			goto unwind;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	PE_LOG(INFO, main, "proxyengine %s ready: VIP port %u, %u backend(s), policy %s",
			PE_VERSION, pe_eng.cfg.vport, pe_eng.cfg.n_backends, pe_eng.lb->name);
	launch_workers();
	pe_worker_loop(pe_eng.workers[opts.main_lcore]);
	rte_eal_mp_wait_lcore();
	PE_LOG(INFO, main, "stopping");
	if (pe_eng.deterministic)
		pe_counters_print(stdout);

unwind:
	while (--done >= 0)
		if (stages[done].fini != NULL)
			stages[done].fini();
	pe_record_close();
	free(opts.profile_args);
	return status;
}
