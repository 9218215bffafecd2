/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_COUNTERS_H
#define PE_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

enum pe_cnt_id {
#define PE_CNT(name, desc) PE_CNT_ ## name,
#include "counters.def"
#undef PE_CNT
	PE_CNT_MAX
};

/* One set per worker; only its worker writes it, telemetry sums them. */
struct pe_counters {
	uint64_t v[PE_CNT_MAX];
};

#define PE_CNT_INC(cnt, name) ((cnt)->v[PE_CNT_ ## name]++)
#define PE_CNT_ADD(cnt, name, n) ((cnt)->v[PE_CNT_ ## name] += (n))

/* Every counter that moved, summed over workers, "name value" per line (--deterministic). */
void pe_counters_print(FILE *f);

/* Register the /pe/... telemetry commands. 0 or -errno. */
int pe_telemetry_init(void);

#endif /* PE_COUNTERS_H */
