/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_STREAM_H
#define PE_STREAM_H

#include <stdint.h>

#include "conn/hold.h"
#include "inspect/inspect.h"
#include "proxy/seq_map.h"

/*
 * One inspected direction of a connection, by sender. The sender's bytes
 * (input) are taken in order, framed into messages, inspected, and the
 * verdict's bytes (output) are sent as the engine's own segments:
 *
 *   input   | consumed (inspected, sent) | pend: in order, not yet a whole message | ooo
 *           ^                            ^                                         ^
 *                                     in_done                                   in_nxt
 *   output  | acked by the receiver | out: sent, kept until acknowledged |
 *                                   ^                                    ^
 *                                out_una                              out_nxt
 *
 * The sender is told what the receiver acknowledged of the output, mapped
 * back (seq_map.h), or, while a message is incomplete, what the engine holds
 * in order (it keeps it until its output is acknowledged). The engine
 * answers a retransmission of consumed input with the kept output, byte for
 * byte.
 */
enum pe_stream_mode {
	PE_STREAM_INSPECT,     /* framed and inspected */
	PE_STREAM_PASS,        /* sent on as it comes (StartTLS, on_limit pass) */
	PE_STREAM_OFF,         /* this direction is not inspected: plain relaying */
};

struct pe_stream_dir {
	struct pe_seq_map map;
	uint32_t in_done;      /* input consumed: every byte before it became output */
	uint32_t in_nxt;       /* every input byte before it is consumed or in pend */
	uint32_t fin_at;       /* sequence number of the sender's FIN (valid if fin) */
	uint32_t out_nxt;      /* next output sequence number */
	uint32_t out_una;      /* the receiver's highest acknowledgment of output */
	uint32_t out_sent;     /* kept output before this has been sent at least once */
	uint32_t rwnd_right;   /* the receiver's right window edge, in output sequence numbers */
	uint32_t msg_len;      /* length of the message at in_done, once framed (0: not yet) */
	uint64_t msg_due;      /* TSC by which the message at in_done must be complete (0: none pending) */
	struct pe_hold pend;
	struct pe_hold ooo;    /* beyond in_nxt, in sequence order */
	struct pe_hold out;    /* output segments, as built, until acknowledged */
	uint8_t mode;          /* enum pe_stream_mode */
	uint8_t fin;           /* the sender's FIN was seen */
	uint8_t fin_sent;      /* ... and sent on */
	uint8_t dupacks;       /* the receiver's duplicate ACKs of out_una */
	uint16_t dup_win;      /* window field of the receiver's last ACK (as sent) */
	uint32_t sack_resent;  /* kept output below this was resent in this loss episode */
	uint32_t adv_right;    /* highest right edge offered to the sender (win_toward_sender) */
};

struct pe_stream {
	struct pe_stream_dir d[2];            /* by sender side */
	int8_t pool;                          /* chosen by the first message (-1: default) */
	uint8_t selected;                     /* the client's first message has been decided on */
	uint8_t refused;                      /* REFUSE sent: the engine closes toward the client */
	uint32_t reply_seq;                   /* REFUSE: sequence number of the reply to the client */
	uint32_t reply_len;
	uint32_t client_end;                  /* REFUSE: what the engine acknowledges of the client */
	uint64_t state[PE_INSPECT_STATE_MAX / 8];  /* the inspector's per-connection state */
};

#endif /* PE_STREAM_H */
