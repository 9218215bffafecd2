/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include <pcap/pcap.h>
#include <rte_mbuf.h>

#include "core/engine.h"
#include "io/record.h"
#include "io/worker.h"

#define RECORD_SNAPLEN 65535

static pcap_t *record_pcap;

int
pe_record_open(const char *path)
{
	record_pcap = pcap_open_dead(DLT_EN10MB, RECORD_SNAPLEN);
	if (record_pcap == NULL) {
		fprintf(stderr, "--record %s: libpcap: cannot open a capture handle\n", path);
		return -1;
	}
	pe_eng.record = pcap_dump_open(record_pcap, path);
	if (pe_eng.record == NULL) {
		fprintf(stderr, "--record %s: %s\n", path, pcap_geterr(record_pcap));
		pcap_close(record_pcap);
		record_pcap = NULL;
		return -1;
	}
	return 0;
}

void
pe_record_close(void)
{
	if (pe_eng.record != NULL)
		pcap_dump_close(pe_eng.record);
	if (record_pcap != NULL)
		pcap_close(record_pcap);
	pe_eng.record = NULL;
	record_pcap = NULL;
}

void
pe_record_frame(const struct pe_worker *w, const struct rte_mbuf *m)
{
	uint8_t buf[RECORD_SNAPLEN];
	uint64_t sec = w->now / pe_eng.hz, rem = w->now % pe_eng.hz;
	struct pcap_pkthdr h = {
		.caplen = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)RECORD_SNAPLEN),
		.len = rte_pktmbuf_pkt_len(m),
	};
	const void *data = rte_pktmbuf_read(m, 0, h.caplen, buf);

	h.ts.tv_sec = (time_t)(sec + pe_eng.wall_offset_s);
	h.ts.tv_usec = (suseconds_t)(rem * 1000000 / pe_eng.hz);
	if (data != NULL)
		pcap_dump((u_char *)pe_eng.record, &h, data);
}
