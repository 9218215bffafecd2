/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_SEQ_MAP_H
#define PE_SEQ_MAP_H

/*
 * Sequence numbers across length-changing edits of one direction of a
 * spliced connection (DPDK-free).
 *
 * The sender's bytes (input, its own sequence space) reach the receiver as
 * output (the receiver's view of its peer). Without edits output = input +
 * delta. An edit replaces input [in_a, in_b) by output [out_a, out_b) of
 * another length (a rewritten message, a dropped one); after it the delta
 * is out_b - in_b.
 *
 *   input   ...----|=====edited=====|--------...
 *                in_a             in_b
 *   output  ...----|===edited===|--------...
 *                out_a        out_b
 *
 * The receiver acknowledges output; the sender must be told input. An
 * acknowledgment inside an edit maps to at most the last input byte but one
 * of it: the sender learns the whole edited input was delivered only when
 * the receiver has all of its output. So the mapping is monotonic and never
 * claims more than was delivered, which is what keeps the sender
 * retransmitting until the receiver really has the bytes.
 *
 * Edits are kept until the receiver acknowledges past them
 * (pe_seq_map_retire). When PE_SEQ_MAP_EDITS are live, a new edit is merged
 * into the newest one: inside the merged span an acknowledgment maps
 * linearly, which may run ahead of the receiver by what the merged edits
 * grew (never past the span's end before all its output is acknowledged).
 * The engine holds all output it made, so it resends what the sender
 * believes delivered (stream.h).
 */

#include <stdbool.h>
#include <stdint.h>

#define PE_SEQ_MAP_EDITS 8

struct pe_seq_edit {
	uint32_t in_a, in_b;     /* input replaced */
	uint32_t out_a, out_b;   /* output it became */
};

struct pe_seq_map {
	uint32_t delta;          /* output - input after the newest edit */
	uint8_t n;               /* live edits, oldest first */
	struct pe_seq_edit e[PE_SEQ_MAP_EDITS];
};

/* A map without edits: output = input + @delta. */
void pe_seq_map_init(struct pe_seq_map *m, uint32_t delta);

/*
 * Record that input [in_a, in_b) became output [out_a, out_b). It must
 * follow every edit recorded before and start where the map puts it
 * (out_a == in_a + delta). Equal lengths need no entry.
 */
void pe_seq_map_add(struct pe_seq_map *m, uint32_t in_a, uint32_t in_b, uint32_t out_a,
		uint32_t out_b);

/*
 * The output sequence number of input @in. Inside an edit: its start, or
 * with @end its end (for the right edge of a range).
 */
uint32_t pe_seq_map_to_out(const struct pe_seq_map *m, uint32_t in, bool end);

/* The input sequence number an acknowledgment of output @out stands for (see above). */
uint32_t pe_seq_map_to_in(const struct pe_seq_map *m, uint32_t out);

/* Forget edits wholly before output @acked (the receiver has it all). */
void pe_seq_map_retire(struct pe_seq_map *m, uint32_t acked);

#endif /* PE_SEQ_MAP_H */
