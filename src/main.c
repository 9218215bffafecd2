/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxyengine [EAL options] -- [engine options]
 *
 * Startup is the table `stages` below, run in order; on failure or at exit
 * the stages that completed are undone in reverse (one unwind path).
 * Options and the config file are checked before DPDK starts, so a bad
 * config costs no EAL and exits with status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_timer.h>

#include "core/config.h"
#include "core/counters.h"
#include "core/engine.h"
#include "core/log.h"
#include "io/fault.h"
#include "io/port.h"
#include "inspect/inspect.h"
#include "io/worker.h"
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
} opts;

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- --config FILE [--profile FILE] [--busy-poll]\n"
		"       %s --help | --version\n"
		"\n"
		"  --config FILE    engine configuration (libconfig syntax, see README)\n"
		"  --profile FILE   PMD profile: EAL arguments, one per line (pmd-profiles/)\n"
		"  --busy-poll      never sleep when idle (benchmarks); default backs off\n"
		"  --help           this text\n"
		"  --version        print the version\n"
		"\n"
		"Exit status: 0 normal stop (SIGINT/SIGTERM), 1 startup failure,\n"
		"2 bad option, profile or config (message: file:line: key: what is wrong).\n",
		prog, prog);
}

/* Read the profile's lines: one EAL argument each, '#' comments, blank lines ignored. */
static int
load_profile(const char *path)
{
	char line[PROFILE_LINE_MAX];
	size_t used = 0, cap = 0;
	unsigned int lineno = 0;
	char *store = NULL;
	FILE *f;
	size_t starts[MAX_EAL_ARGS];
	int n = 0, i;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "%s:0: (file): %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line, *e;
		size_t len;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "%s:%u: (line): longer than %d bytes\n", path, lineno,
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
			fprintf(stderr, "%s:%u: (line): more than %d EAL arguments\n", path, lineno,
					MAX_EAL_ARGS);
			goto fail;
		}
		if (used + len + 1 > cap) {
			char *p;

			cap = (used + len + 1) * 2;
			p = realloc(store, cap);
			if (p == NULL)
				goto fail;
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

static int
stage_eal_init(void)
{
	/* the profile's options first, so that the command line's can override them */
	char *argv[2 * MAX_EAL_ARGS + 2];
	int argc = 0, i, rc;

	argv[argc++] = (char *)"proxyengine";
	for (i = 0; i < opts.n_profile; i++)
		argv[argc++] = opts.profile_argv[i];
	for (i = 0; i < opts.n_cmd_eal; i++)
		argv[argc++] = opts.cmd_eal[i];
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return -rte_errno;
	}
	pe_eng.hz = rte_get_timer_hz();
	pe_eng.wall_offset_s = (uint64_t)time(NULL) - rte_get_timer_cycles() / pe_eng.hz;
	opts.main_lcore = rte_get_main_lcore();
	return 0;
}

static void
stage_eal_fini(void)
{
	rte_eal_cleanup();
}

static int
stage_timers_init(void)
{
	return rte_timer_subsystem_init();
}

static void
stage_timers_fini(void)
{
	rte_timer_subsystem_finalize();
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

	if (n != 1) {
		PE_LOG(ERR, main, "the PMD profile must provide exactly one port, found %u "
				"(check --profile / --vdev)", n);
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(pe_eng.port_id)
		break;
	return pe_port_start(pe_eng.port_id, 1, pe_eng.pool, &pe_eng.mac);
}

static void
stage_port_fini(void)
{
	pe_port_stop(pe_eng.port_id);
}

static int
stage_workers_init(void)
{
	struct pe_worker *w;

	/* one worker, on the main lcore, polling queue 0 (multi-queue RSS is a later step) */
	w = pe_worker_create(opts.main_lcore, pe_eng.port_id, 0);
	if (w == NULL) {
		PE_LOG(ERR, main, "worker: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	pe_eng.workers[opts.main_lcore] = w;
	pe_eng.n_workers = 1;
	if (pe_eng.cfg.fault.enabled)
		pe_fault_log_conf(&pe_eng.cfg.fault);
	return 0;
}

static void
stage_workers_fini(void)
{
	struct pe_worker *w = pe_eng.workers[opts.main_lcore];

	/*
	 * Unpublish first so that telemetry stops finding it. A query already
	 * inside a handler could still read it: telemetry commands cannot be
	 * unregistered in DPDK 22.11, and the window is one handler call.
	 */
	pe_eng.workers[opts.main_lcore] = NULL;
	pe_eng.n_workers = 0;
	rte_wmb();
	pe_worker_destroy(w);
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
	{ "timers", stage_timers_init, stage_timers_fini },
	{ "mempool", stage_mempool_init, stage_mempool_fini },
	{ "port", stage_port_init, stage_port_fini },
	{ "workers", stage_workers_init, stage_workers_fini },
	{ "telemetry", stage_telemetry_init, NULL },
};

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
		fprintf(stderr, "%s: inspector %s: %zu bytes of state per connection, at most %d\n",
				opts.config_path, in->name, in->conn_state_size, PE_INSPECT_STATE_MAX);
		return -1;
	}
	if (in->n_rules() > PE_INSPECT_MAX_RULES) {
		fprintf(stderr, "%s: inspect: %u rules, at most %d\n", opts.config_path,
				in->n_rules(), PE_INSPECT_MAX_RULES);
		return -1;
	}
	for (r = 0; r < in->n_rules(); r++) {
		const char *name = in->rule_name(r);

		if (name[0] == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789_/") != strlen(name)) {
			fprintf(stderr, "%s: inspector %s: rule name \"%s\" is not a telemetry key "
					"(letters, digits, _ and /)\n", opts.config_path, in->name, name);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char err[PATH_MAX + 256];
	int rc, done = 0, status = EXIT_SUCCESS;

	rc = parse_args(argc, argv);
	if (rc != 0)
		return rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	if (pe_config_load(opts.config_path, &pe_eng.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	pe_eng.lb = pe_lb_find(pe_eng.cfg.selection);
	if (pe_eng.lb == NULL) {
		fprintf(stderr, "%s:0: selection: no policy \"%s\" in this build\n",
				opts.config_path, pe_eng.cfg.selection);
		return EXIT_USAGE;
	}
	if (pe_eng.cfg.inspect.enabled) {
		pe_eng.inspector = pe_inspector_find(pe_eng.cfg.inspect.protocol);
		if (pe_eng.inspector->init(&pe_eng.cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", opts.config_path, err);
			return EXIT_USAGE;
		}
		if (check_rules(pe_eng.inspector) < 0)
			return EXIT_USAGE;
	}
	if (opts.profile_path != NULL && load_profile(opts.profile_path) < 0)
		return EXIT_USAGE;
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
	pe_worker_loop(pe_eng.workers[opts.main_lcore]);
	PE_LOG(INFO, main, "stopping");

unwind:
	while (--done >= 0)
		if (stages[done].fini != NULL)
			stages[done].fini();
	free(opts.profile_args);
	return status;
}
