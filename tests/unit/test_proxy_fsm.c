/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The proxy's state table, every state x side x event, against the rules it
 * must implement, written here as RFC-derived rules rather than as a second
 * table: RFC 9293 (SYN-SENT, closing), RFC 5961 (RST and SYN checks),
 * RFC 1122 §4.2.3.9 (ICMP soft errors), and the delayed-binding design.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>

#include <rte_tcp.h>

#include "proxy/proxy_fsm.h"

#define C PE_SIDE_CLIENT
#define B PE_SIDE_BACKEND
#define SAME PE_FSM_SAME

static bool
relaying(unsigned int s)
{
	return s == PE_CS_ESTABLISHED || s == PE_CS_FIN_CLIENT || s == PE_CS_FIN_BACKEND ||
		s == PE_CS_TIME_WAIT;
}

/* Both halves synchronized: the states in which RFC 5961 applies to both sides. */
static bool
synchronized(unsigned int s)
{
	return s == PE_CS_ESTABLISHED || s == PE_CS_FIN_CLIENT || s == PE_CS_FIN_BACKEND;
}

static struct pe_transition
expected(unsigned int s, unsigned int side, unsigned int ev)
{
#define X(a, n) return (struct pe_transition){ PE_ACT_ ## a, (n) }
	/* ICMP errors only end a handshake in progress */
	if (ev == PE_EV_UNREACH) {
		if (s == PE_CS_CONNECTING && side == B)
			X(FAILOVER, SAME);
		X(DROP, SAME);
	}
	/* nothing from a backend before the engine has sent it a SYN */
	if (side == B && s == PE_CS_WAIT_DATA)
		X(DROP, SAME);
	if (s == PE_CS_RESET) {
		if (ev == PE_EV_SYN && side == C)
			X(RECYCLE, SAME);
		/* a peer that still sends after the abort missed (or refused) the RST: RST again */
		if (ev == PE_EV_ACK || ev == PE_EV_DATA || ev == PE_EV_FIN)
			X(RST_REPLY, SAME);
		X(DROP, SAME);
	}
	switch (ev) {
	case PE_EV_SYN:
		if (s == PE_CS_TIME_WAIT)
			return side == C ? (struct pe_transition){ PE_ACT_RECYCLE, SAME } :
				(struct pe_transition){ PE_ACT_DROP, SAME };
		/* RFC 5961 §4: a SYN on a synchronized connection gets a challenge ACK */
		if (side == C || synchronized(s))
			X(CHALLENGE, SAME);
		X(DROP, SAME);   /* backend SYN while we are in SYN-SENT: no simultaneous open */
	case PE_EV_SYNACK:
		if (side == B && s == PE_CS_CONNECTING)
			X(BACKEND_UP, PE_CS_ESTABLISHED);
		/* our ACK was lost and the backend has not sent a FIN: ACK again */
		if (side == B && (s == PE_CS_ESTABLISHED || s == PE_CS_FIN_CLIENT))
			X(REACK, SAME);
		X(DROP, SAME);
	case PE_EV_RST:
		if (s == PE_CS_CONNECTING && side == B)
			X(FAILOVER, SAME);
		if (s == PE_CS_WAIT_DATA || s == PE_CS_CONNECTING)
			X(ABORT, PE_CS_RESET);
		X(RST_CHECK, PE_CS_RESET);
	case PE_EV_ACK:
	case PE_EV_DATA:
	case PE_EV_FIN:
		break;
	}
	/* ACK, DATA, FIN */
	if (s == PE_CS_CONNECTING && side == B)
		X(RST_REPLY, SAME);   /* RFC 9293 SYN-SENT: an unacceptable ACK gets a RST */
	if (s == PE_CS_WAIT_DATA) {
		if (ev == PE_EV_ACK)
			X(ABSORB, SAME);
		/* the first payload binds, also when a FIN comes with it (BIND refuses an empty one) */
		X(BIND, PE_CS_CONNECTING);
	}
	if (s == PE_CS_CONNECTING) {
		if (ev == PE_EV_ACK)
			X(ABSORB, SAME);
		X(HOLD, SAME);           /* data and FIN wait for the backend, in order */
	}
	if (ev != PE_EV_FIN)
		X(RELAY, SAME);
	/* a FIN moves the close forward: one side closed, then both */
	if (s == PE_CS_ESTABLISHED)
		X(RELAY, side == C ? PE_CS_FIN_CLIENT : PE_CS_FIN_BACKEND);
	if ((s == PE_CS_FIN_CLIENT && side == B) || (s == PE_CS_FIN_BACKEND && side == C))
		X(RELAY, PE_CS_TIME_WAIT);
	X(RELAY, SAME);             /* a retransmitted FIN */
#undef X
}

static void
test_every_cell(void **state)
{
	unsigned int s, side, ev, checked = 0, bad = 0;

	(void)state;
	for (s = 0; s < PE_CS_MAX; s++)
		for (side = 0; side < 2; side++)
			for (ev = 0; ev < PE_EV_MAX; ev++) {
				struct pe_transition want = expected(s, side, ev);
				const struct pe_transition *got = &pe_fsm[s][side][ev];

				checked++;
				if (got->action == want.action && got->next == want.next)
					continue;
				bad++;
				fprintf(stderr, "%s/%s/%s: table says %s->%s, rules say %s->%s\n",
						pe_fsm_state_names[s], side ? "backend" : "client",
						pe_fsm_event_names[ev], pe_fsm_action_names[got->action],
						got->next == SAME ? "same" : pe_fsm_state_names[got->next],
						pe_fsm_action_names[want.action],
						want.next == SAME ? "same" : pe_fsm_state_names[want.next]);
			}
	assert_int_equal(checked, PE_CS_MAX * 2 * PE_EV_MAX);
	assert_int_equal(bad, 0);
}

static void
test_invariants(void **state)
{
	unsigned int s, side, ev;

	(void)state;
	for (s = 0; s < PE_CS_MAX; s++)
		for (side = 0; side < 2; side++)
			for (ev = 0; ev < PE_EV_MAX; ev++) {
				const struct pe_transition *t = &pe_fsm[s][side][ev];

				assert_true(t->action < PE_ACT_MAX);
				assert_true(t->next <= SAME);
				/* actions that do nothing to the connection never move it */
				if (t->action == PE_ACT_DROP || t->action == PE_ACT_ABSORB ||
						t->action == PE_ACT_CHALLENGE || t->action == PE_ACT_HOLD ||
						t->action == PE_ACT_REACK || t->action == PE_ACT_RST_REPLY)
					assert_int_equal(t->next, SAME);
				/* a RST can only ever lead to RESET */
				if (ev == PE_EV_RST && t->next != SAME)
					assert_int_equal(t->next, PE_CS_RESET);
				/* no way back to the handshake states */
				if (t->next != SAME && s >= PE_CS_CONNECTING)
					assert_true(t->next > PE_CS_CONNECTING || t->next == s);
				/* relaying only where both halves exist */
				if (t->action == PE_ACT_RELAY || t->action == PE_ACT_RST_CHECK)
					assert_true(relaying(s));
			}
}

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(pe_fsm_classify(RTE_TCP_SYN_FLAG, 0), PE_EV_SYN);
	assert_int_equal(pe_fsm_classify(RTE_TCP_SYN_FLAG, 10), PE_EV_SYN);
	assert_int_equal(pe_fsm_classify(RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0), PE_EV_SYNACK);
	assert_int_equal(pe_fsm_classify(RTE_TCP_ACK_FLAG, 0), PE_EV_ACK);
	assert_int_equal(pe_fsm_classify(RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 5), PE_EV_DATA);
	assert_int_equal(pe_fsm_classify(RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 5), PE_EV_FIN);
	assert_int_equal(pe_fsm_classify(RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 0), PE_EV_FIN);
	/* RST wins over everything, SYN over FIN */
	assert_int_equal(pe_fsm_classify(RTE_TCP_RST_FLAG | RTE_TCP_SYN_FLAG, 0), PE_EV_RST);
	assert_int_equal(pe_fsm_classify(RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 3), PE_EV_RST);
	assert_int_equal(pe_fsm_classify(RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, 0), PE_EV_SYN);
}

static void
test_names_complete(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < PE_CS_MAX; i++)
		assert_non_null(pe_fsm_state_names[i]);
	for (i = 0; i < PE_EV_MAX; i++)
		assert_non_null(pe_fsm_event_names[i]);
	for (i = 0; i < PE_ACT_MAX; i++)
		assert_non_null(pe_fsm_action_names[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cell),
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_names_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
