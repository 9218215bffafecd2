/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TCP_OUT_H
#define PE_TCP_OUT_H

#include "net/wire.h"
#include "tcp/tcp_seg.h"

struct pe_worker;

/* Build the segment @s in a fresh mbuf; NULL (counted drop_nombuf) when the pool is empty. */
struct rte_mbuf *pe_tcp_build(struct pe_worker *w, const struct pe_tcp_spec *s);

/* Build and transmit @s to @s->dst_mac. */
void pe_tcp_send(struct pe_worker *w, const struct pe_tcp_spec *s);

/*
 * Answer @seg, which matches no connection, with a RST (RFC 9293 §3.10.7.1):
 * <SEQ=SEG.ACK><CTL=RST> if it carried an ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never answers a RST.
 */
void pe_tcp_send_rst_reply(struct pe_worker *w, const struct pe_tcp_seg *seg);

#endif /* PE_TCP_OUT_H */
