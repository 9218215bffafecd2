/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "conn/conn.h"
#include "core/counters.h"
#include "core/engine.h"
#include "inspect/inspect.h"
#include "io/worker.h"
#include "net/arp.h"
#include "proxy/backend.h"

static const char *const cnt_names[PE_CNT_MAX] = {
#define PE_CNT(name, desc) #name,
#include "core/counters.def"
#undef PE_CNT
};

/* Telemetry runs in its own thread: worker counters are read with plain loads, never written. */
static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t sum[PE_CNT_MAX] = { 0 }, active = 0;
	unsigned int i, k;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct pe_worker *w = pe_eng.workers[i];

		if (w == NULL)
			continue;
		for (k = 0; k < PE_CNT_MAX; k++)
			sum[k] += w->cnt.v[k];
		active += pe_conn_count(w->conns);
	}
	rte_tel_data_add_dict_u64(d, "conn_active", active);
	for (k = 0; k < PE_CNT_MAX; k++)
		rte_tel_data_add_dict_u64(d, cnt_names[k], sum[k]);
	return 0;
}

static void
ip_str(uint32_t addr, char *buf, size_t len)
{
	inet_ntop(AF_INET, &addr, buf, (socklen_t)len);
}

static int
tel_backends(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pe_worker *first = NULL;
	unsigned int b, i;

	(void)cmd;
	(void)params;
	for (i = 0; i < RTE_MAX_LCORE && first == NULL; i++)
		first = pe_eng.workers[i];
	rte_tel_data_start_dict(d);
	for (b = 0; b < pe_eng.cfg.n_backends; b++) {
		const struct pe_backend_conf *be = &pe_eng.cfg.backends[b];
		struct rte_tel_data *bd = rte_tel_data_alloc();
		uint64_t selected = 0, active = 0, failures = 0, refused = 0, timeouts = 0, unreach = 0;
		const struct rte_ether_addr *mac;
		char addr[INET_ADDRSTRLEN], mac_str[RTE_ETHER_ADDR_FMT_SIZE];

		if (bd == NULL)
			return -ENOMEM;
		for (i = 0; i < RTE_MAX_LCORE; i++) {
			const struct pe_worker *w = pe_eng.workers[i];

			if (w == NULL)
				continue;
			selected += w->be[b].selected;
			active += w->be[b].active;
			failures += w->be[b].failures;
			refused += w->be[b].refused;
			timeouts += w->be[b].timeouts;
			unreach += w->be[b].unreachable;
		}
		rte_tel_data_start_dict(bd);
		ip_str(be->addr, addr, sizeof(addr));
		rte_tel_data_add_dict_string(bd, "address", addr);
		rte_tel_data_add_dict_u64(bd, "port", be->port);
		rte_tel_data_add_dict_string(bd, "state",
				first ? pe_backend_state_name(first, b) : "down");
		rte_tel_data_add_dict_string(bd, "arp",
				first ? pe_arp_state_name(pe_arp_state(first, be->addr)) : "none");
		mac = first ? pe_arp_lookup(first, be->addr) : NULL;
		if (mac != NULL)
			rte_ether_format_addr(mac_str, sizeof(mac_str), mac);
		rte_tel_data_add_dict_string(bd, "mac", mac != NULL ? mac_str : "");
		rte_tel_data_add_dict_u64(bd, "selected", selected);
		rte_tel_data_add_dict_u64(bd, "active", active);
		rte_tel_data_add_dict_u64(bd, "failures", failures);
		rte_tel_data_add_dict_u64(bd, "refused", refused);
		rte_tel_data_add_dict_u64(bd, "timeouts", timeouts);
		rte_tel_data_add_dict_u64(bd, "unreachable", unreach);
		rte_tel_data_add_dict_container(d, be->name, bd, 0);
	}
	return 0;
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", PE_VERSION);
	rte_ether_format_addr(buf, sizeof(buf), &pe_eng.mac);
	rte_tel_data_add_dict_string(d, "mac", buf);
	ip_str(pe_eng.cfg.vip, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "vip", buf);
	rte_tel_data_add_dict_u64(d, "port", pe_eng.cfg.vport);
	ip_str(pe_eng.cfg.source_addr, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "source", buf);
	rte_tel_data_add_dict_string(d, "config", pe_eng.cfg.path);
	rte_tel_data_add_dict_u64(d, "workers", pe_eng.n_workers);
	rte_tel_data_add_dict_string(d, "rss", pe_eng.rss == NULL ? "off" :
			pe_eng.cfg.peer_rss ? "peer" : "nic");
	/* worker_*_cycles are TSC cycles */
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	rte_tel_data_add_dict_u64(d, "conn_struct_bytes", sizeof(struct pe_conn));
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct pe_worker *w = pe_eng.workers[i];

		if (w != NULL && pe_conn_table_bytes(w->conns) > 0) {
			rte_tel_data_add_dict_u64(d, "conn_entry_bytes", pe_conn_table_bytes(w->conns) /
					pe_conn_table_max(w->conns));
			break;
		}
	}
	return 0;
}

/* Per worker: where its time went and what it carried (scaling over workers). */
static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct pe_worker *w = pe_eng.workers[i];
		struct rte_tel_data *wd;
		char key[16];

		if (w == NULL)
			continue;
		wd = rte_tel_data_alloc();
		if (wd == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(wd);
		rte_tel_data_add_dict_u64(wd, "lcore", w->lcore);
		rte_tel_data_add_dict_u64(wd, "queue", w->queue_id);
		rte_tel_data_add_dict_u64(wd, "conn_active", pe_conn_count(w->conns));
		rte_tel_data_add_dict_u64(wd, "conn_created", w->cnt.v[PE_CNT_conn_created]);
		rte_tel_data_add_dict_u64(wd, "rx_packets", w->cnt.v[PE_CNT_rx_packets]);
		rte_tel_data_add_dict_u64(wd, "tx_packets", w->cnt.v[PE_CNT_tx_packets]);
		rte_tel_data_add_dict_u64(wd, "busy_cycles", w->cnt.v[PE_CNT_worker_busy_cycles]);
		rte_tel_data_add_dict_u64(wd, "idle_cycles", w->cnt.v[PE_CNT_worker_idle_cycles]);
		rte_tel_data_add_dict_u64(wd, "handoff_rx", w->cnt.v[PE_CNT_handoff_rx]);
		snprintf(key, sizeof(key), "q%u", w->queue_id);
		rte_tel_data_add_dict_container(d, key, wd, 0);
	}
	return 0;
}

/* Per rule of the inspector: how many messages it decided. */
static int
tel_rules(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct pe_inspector *in = pe_eng.inspector;
	unsigned int r, i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (in == NULL)
		return 0;
	for (r = 0; r < in->n_rules() && r < PE_INSPECT_MAX_RULES; r++) {
		uint64_t n = 0;

		for (i = 0; i < RTE_MAX_LCORE; i++)
			if (pe_eng.workers[i] != NULL)
				n += pe_eng.workers[i]->rule_hits[r];
		rte_tel_data_add_dict_u64(d, in->rule_name(r), n);
	}
	return 0;
}

void
pe_counters_print(FILE *f)
{
	uint64_t sum[PE_CNT_MAX] = { 0 };
	unsigned int i, k;

	for (i = 0; i < RTE_MAX_LCORE; i++)
		if (pe_eng.workers[i] != NULL)
			for (k = 0; k < PE_CNT_MAX; k++)
				sum[k] += pe_eng.workers[i]->cnt.v[k];
	for (k = 0; k < PE_CNT_MAX; k++)
		if (sum[k] != 0)
			fprintf(f, "%s %" PRIu64 "\n", cnt_names[k], sum[k]);
	fflush(f);
}

int
pe_telemetry_init(void)
{
	int rc;

	rc = rte_telemetry_register_cmd("/pe/stats", tel_stats,
			"Engine counters summed over workers (see src/core/counters.def). No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/pe/backends", tel_backends,
				"Per backend: address, port, state, arp, mac, selected, active, failures "
				"(refused, timeouts, unreachable). No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/pe/info", tel_info,
				"Engine identity and sizes: version, MAC, VIP, port, workers, rss, tsc_hz, "
				"conn_entry_bytes...");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/pe/workers", tel_workers,
				"Per worker (q<queue>): lcore, connections, packets, busy/idle TSC cycles. "
				"No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/pe/rules", tel_rules,
				"Inspector rules (inspect.protocol) and the messages each decided. No parameters.");
	return rc;
}
