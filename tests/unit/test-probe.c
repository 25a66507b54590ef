// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of link probing (agent/probe.h). The control packet: its exact
 * bytes, every flag, and each check of RFC 5880 §6.8.6. Two sessions wired
 * to each other through an in-memory link with a fake clock (every packet
 * goes through the encoder and the decoder): they come up in one round
 * trip; the transmit intervals keep their jitter bounds, fast when Up and
 * one second when not; the measured latency equals the simulated one-way
 * delay; 20% loss on one direction reads as about 20%; a silent peer goes
 * Down after exactly the detection time and its neighbour follows; the two
 * recover; AdminDown is said for a detection time and then nothing; a peer
 * asking for no periodic packets gets only Finals. Then two probes on real
 * UDP sockets on loopback addresses, with views as the controller sends
 * them: they come up, report their links, drop packets that arrive with a
 * TTL below 255 or from strangers, and see their peer go.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "probe.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The packet. */

static const struct bfd_packet sample = {
    .diag = BFD_DIAG_NEIGHBOR_DOWN,
    .state = BFD_STATE_UP,
    .poll = true,
    .detect_mult = 3,
    .length = BFD_PACKET_SIZE,
    .my_discr = 0x11223344,
    .your_discr = 0x55667788,
    .desired_min_tx_us = 100000,
    .required_min_rx_us = 200000,
    .required_min_echo_rx_us = 0,
};

static void assert_packet_equal(const struct bfd_packet *a, const struct bfd_packet *b)
{
	assert_int_equal(a->diag, b->diag);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->poll, b->poll);
	assert_int_equal(a->final, b->final);
	assert_int_equal(a->cpi, b->cpi);
	assert_int_equal(a->auth, b->auth);
	assert_int_equal(a->demand, b->demand);
	assert_int_equal(a->multipoint, b->multipoint);
	assert_int_equal(a->detect_mult, b->detect_mult);
	assert_int_equal(a->length, b->length);
	assert_int_equal(a->my_discr, b->my_discr);
	assert_int_equal(a->your_discr, b->your_discr);
	assert_int_equal(a->desired_min_tx_us, b->desired_min_tx_us);
	assert_int_equal(a->required_min_rx_us, b->required_min_rx_us);
	assert_int_equal(a->required_min_echo_rx_us, b->required_min_echo_rx_us);
}

static void test_packet_bytes(void **state)
{
	static const uint8_t want[BFD_PACKET_SIZE] = {
	    0x23, 0xe0, 3,    24,   0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	    0x00, 0x01, 0x86, 0xa0, 0x00, 0x03, 0x0d, 0x40, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[BFD_PACKET_SIZE];
	struct bfd_packet p;

	bfd_packet_encode(&sample, buf);
	assert_memory_equal(buf, want, sizeof want);
	assert_int_equal(bfd_packet_decode(buf, sizeof buf, &p), BFD_OK);
	assert_packet_equal(&p, &sample);

	/* Each flag on its own: its bit, and back. */
	static const struct {
		size_t offset; /* of the bool in struct bfd_packet */
		uint8_t bit;
		enum bfd_drop decoded;
	} flags[] = {
	    {offsetof(struct bfd_packet, poll), 0x20, BFD_OK},
	    {offsetof(struct bfd_packet, final), 0x10, BFD_OK},
	    {offsetof(struct bfd_packet, cpi), 0x08, BFD_OK},
	    {offsetof(struct bfd_packet, auth), 0x04, BFD_DROP_LENGTH},
	    {offsetof(struct bfd_packet, demand), 0x02, BFD_OK},
	    {offsetof(struct bfd_packet, multipoint), 0x01, BFD_DROP_MULTIPOINT},
	};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		struct bfd_packet q = sample;
		q.poll = false;
		*(bool *)((char *)&q + flags[i].offset) = true;
		bfd_packet_encode(&q, buf);
		assert_int_equal(buf[1], 0xc0 | flags[i].bit);
		assert_int_equal(bfd_packet_decode(buf, sizeof buf, &p), flags[i].decoded);
		if (flags[i].decoded == BFD_OK)
			assert_packet_equal(&p, &q);
	}

	/* Every state and diagnostic. */
	for (int st = 0; st < 4; st++) {
		for (int d = 0; d < 32; d++) {
			struct bfd_packet q = sample;
			q.state = (enum bfd_state)st;
			q.diag = (uint8_t)d;
			bfd_packet_encode(&q, buf);
			assert_int_equal(buf[0], 0x20 | d);
			assert_int_equal(buf[1] >> 6, st);
			assert_int_equal(bfd_packet_decode(buf, sizeof buf, &p), BFD_OK);
			assert_packet_equal(&p, &q);
		}
	}
}

/* Decodes 'sample' with one change made by 'edit' to its bytes. */
static enum bfd_drop decode_edited(size_t size, void (*edit)(uint8_t *buf))
{
	uint8_t buf[64];
	struct bfd_packet p;

	memset(buf, 0xee, sizeof buf);
	bfd_packet_encode(&sample, buf);
	if (edit)
		edit(buf);
	return bfd_packet_decode(buf, size, &p);
}

static void version0(uint8_t *b)
{
	b[0] = (uint8_t)(b[0] & 0x1f);
}
static void version2(uint8_t *b)
{
	b[0] = (uint8_t)((b[0] & 0x1f) | 2 << 5);
}
static void version7(uint8_t *b)
{
	b[0] = (uint8_t)(b[0] | 7 << 5);
}
static void length23(uint8_t *b)
{
	b[3] = 23;
}
static void length0(uint8_t *b)
{
	b[3] = 0;
}
static void length25(uint8_t *b)
{
	b[3] = 25;
}
static void length30(uint8_t *b)
{
	b[3] = 30;
}
static void auth24(uint8_t *b)
{
	b[1] |= 0x04;
}
static void auth26(uint8_t *b)
{
	b[1] |= 0x04;
	b[3] = 26;
}
static void mult0(uint8_t *b)
{
	b[2] = 0;
}
static void multipoint(uint8_t *b)
{
	b[1] |= 0x01;
}
static void my_discr0(uint8_t *b)
{
	memset(b + 4, 0, 4);
}
static void your_discr0(uint8_t *b)
{
	memset(b + 8, 0, 4);
}
static void your_discr0_init(uint8_t *b)
{
	memset(b + 8, 0, 4);
	b[1] = (uint8_t)((b[1] & 0x3f) | BFD_STATE_INIT << 6);
}
static void your_discr0_down(uint8_t *b)
{
	memset(b + 8, 0, 4);
	b[1] = (uint8_t)((b[1] & 0x3f) | BFD_STATE_DOWN << 6);
}
static void your_discr0_admin_down(uint8_t *b)
{
	memset(b + 8, 0, 4);
	b[1] = (uint8_t)(b[1] & 0x3f);
}
static void poll_final(uint8_t *b)
{
	b[1] |= 0x30;
}
static void mult0_and_my_discr0(uint8_t *b)
{
	b[2] = 0;
	memset(b + 4, 0, 4);
}

static void test_packet_validation(void **state)
{
	assert_int_equal(decode_edited(24, NULL), BFD_OK);
	assert_int_equal(decode_edited(23, NULL), BFD_DROP_SHORT);
	assert_int_equal(decode_edited(0, NULL), BFD_DROP_SHORT);
	assert_int_equal(decode_edited(24, version0), BFD_DROP_VERSION);
	assert_int_equal(decode_edited(24, version2), BFD_DROP_VERSION);
	assert_int_equal(decode_edited(24, version7), BFD_DROP_VERSION);
	/* Length: at least 24, at most the datagram; more datagram is fine. */
	assert_int_equal(decode_edited(24, length23), BFD_DROP_LENGTH);
	assert_int_equal(decode_edited(24, length0), BFD_DROP_LENGTH);
	assert_int_equal(decode_edited(24, length25), BFD_DROP_LENGTH);
	assert_int_equal(decode_edited(30, length25), BFD_OK);
	assert_int_equal(decode_edited(30, length30), BFD_OK);
	assert_int_equal(decode_edited(29, length30), BFD_DROP_LENGTH);
	assert_int_equal(decode_edited(40, NULL), BFD_OK);
	/* A: 26 bytes at least; then dropped as we use no authentication. */
	assert_int_equal(decode_edited(24, auth24), BFD_DROP_LENGTH);
	assert_int_equal(decode_edited(26, auth26), BFD_DROP_AUTH);
	assert_int_equal(decode_edited(24, mult0), BFD_DROP_DETECT_MULT);
	assert_int_equal(decode_edited(24, multipoint), BFD_DROP_MULTIPOINT);
	assert_int_equal(decode_edited(24, my_discr0), BFD_DROP_MY_DISCR);
	/* Your Discriminator 0 only in Down and AdminDown. */
	assert_int_equal(decode_edited(24, your_discr0), BFD_DROP_YOUR_DISCR);
	assert_int_equal(decode_edited(24, your_discr0_init), BFD_DROP_YOUR_DISCR);
	assert_int_equal(decode_edited(24, your_discr0_down), BFD_OK);
	assert_int_equal(decode_edited(24, your_discr0_admin_down), BFD_OK);
	assert_int_equal(decode_edited(24, poll_final), BFD_DROP_POLL_FINAL);
	/* Several faults: the first in the RFC's order counts. */
	assert_int_equal(decode_edited(24, mult0_and_my_discr0), BFD_DROP_DETECT_MULT);

	/* Names for logs and counters: distinct, none missing. */
	for (int i = 0; i < BFD_N_DROPS; i++) {
		assert_non_null(bfd_drop_name((enum bfd_drop)i));
		assert_string_not_equal(bfd_drop_name((enum bfd_drop)i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(bfd_drop_name((enum bfd_drop)i),
						bfd_drop_name((enum bfd_drop)j));
	}
	assert_string_equal(bfd_state_name(BFD_STATE_ADMIN_DOWN), "admin_down");
	assert_string_equal(bfd_state_name(BFD_STATE_DOWN), "down");
	assert_string_equal(bfd_state_name(BFD_STATE_INIT), "init");
	assert_string_equal(bfd_state_name(BFD_STATE_UP), "up");
}

/* Two sessions over an in-memory link, on a fake clock. */

#define T0 1000000000ull /* the clock's start, us: not 0, as a real one */
#define QUEUE_MAX 256
#define MAX_STEPS 2000000
#define MAX_TX_LOG 4096
#define INTERVAL_US 100000

struct sim_pkt {
	uint64_t at; /* arrival */
	int to;	     /* 0 or 1 */
	uint8_t bytes[BFD_PACKET_SIZE];
};

struct side {
	struct bfd_session s;
	uint64_t delay_us;	    /* one way, of what this side sends */
	unsigned int drop_pm;	    /* per mille of what this side sends is lost */
	bool cut;		    /* everything this side sends is lost */
	uint64_t last_rx_us;	    /* last packet accepted */
	uint64_t up_at, down_at;    /* last change to Up, to not Up */
	uint64_t tx_at[MAX_TX_LOG]; /* departures of periodic packets (no Finals) */
	bool tx_poll[MAX_TX_LOG];   /* ... with P */
	size_t n_tx;
	size_t n_finals;
	uint64_t last_tx_at; /* of any packet */
};

struct sim {
	uint64_t now;
	struct side side[2];
	struct sim_pkt q[QUEUE_MAX];
	size_t nq;
	uint64_t rng;
};

static uint64_t sim_rand(struct sim *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static void sim_init(struct sim *m, uint64_t delay_us)
{
	memset(m, 0, sizeof *m);
	m->now = T0;
	m->rng = 88172645463325252ull;
	for (int i = 0; i < 2; i++) {
		bfd_session_init(&m->side[i].s, 0x1000 + (uint32_t)i, INTERVAL_US, 3, false,
				 (uint64_t)i + 1, T0);
		m->side[i].delay_us = delay_us;
		m->side[i].up_at = m->side[i].down_at = BFD_NEVER;
	}
}

static void note_state(struct side *sd, enum bfd_state old, uint64_t now)
{
	if (old != BFD_STATE_UP && sd->s.state == BFD_STATE_UP)
		sd->up_at = now;
	if (old == BFD_STATE_UP && sd->s.state != BFD_STATE_UP)
		sd->down_at = now;
}

static void sim_send(struct sim *m, int from, const struct bfd_packet *p)
{
	struct side *sd = &m->side[from];

	/* What the sessions send is always valid. */
	assert_false(p->poll && p->final);
	assert_int_not_equal(p->my_discr, 0);
	sd->last_tx_at = m->now;
	if (p->final) {
		sd->n_finals++;
	} else if (sd->n_tx < MAX_TX_LOG) {
		sd->tx_at[sd->n_tx] = m->now;
		sd->tx_poll[sd->n_tx++] = p->poll;
	}
	if (sd->cut || (sd->drop_pm && sim_rand(m) % 1000 < sd->drop_pm))
		return;
	assert_true(m->nq < QUEUE_MAX);
	struct sim_pkt *q = &m->q[m->nq++];
	q->at = m->now + sd->delay_us;
	q->to = !from;
	bfd_packet_encode(p, q->bytes);
}

/* Delivers what has arrived, runs both sessions' timers and sends. */
static void sim_service(struct sim *m)
{
	for (size_t i = 0; i < m->nq;) {
		if (m->q[i].at > m->now) {
			i++;
			continue;
		}
		struct side *sd = &m->side[m->q[i].to];
		struct bfd_packet p;
		enum bfd_state old = sd->s.state;

		assert_int_equal(bfd_packet_decode(m->q[i].bytes, BFD_PACKET_SIZE, &p), BFD_OK);
		if (bfd_session_input(&sd->s, &p, m->now) == BFD_OK)
			sd->last_rx_us = m->now;
		note_state(sd, old, m->now);
		/* Keep the order of arrival: packets of one direction do not
		 * overtake each other. */
		memmove(&m->q[i], &m->q[i + 1], (m->nq - i - 1) * sizeof m->q[0]);
		m->nq--;
	}
	for (int k = 0; k < 2; k++) {
		struct side *sd = &m->side[k];
		enum bfd_state old = sd->s.state;
		struct bfd_packet p;
		int n = 0;

		bfd_session_run(&sd->s, m->now);
		while (bfd_session_output(&sd->s, m->now, &p)) {
			assert_true(++n <= 2);
			sim_send(m, k, &p);
		}
		note_state(sd, old, m->now);
	}
}

/* Runs the simulation until 'end' (absolute). */
static void sim_run_until(struct sim *m, uint64_t end)
{
	for (int steps = 0; steps < MAX_STEPS; steps++) {
		sim_service(m);
		uint64_t t = BFD_NEVER;
		for (int k = 0; k < 2; k++) {
			uint64_t d = bfd_session_deadline(&m->side[k].s);
			t = d < t ? d : t;
		}
		for (size_t i = 0; i < m->nq; i++)
			t = m->q[i].at < t ? m->q[i].at : t;
		/* Time moves on: after a service nothing is due now. */
		assert_true(t > m->now);
		if (t > end) {
			m->now = end;
			sim_service(m);
			return;
		}
		m->now = t;
	}
	fail_msg("the simulation did not reach its end in %d steps", MAX_STEPS);
}

static void sim_run_for(struct sim *m, uint64_t us)
{
	sim_run_until(m, m->now + us);
}

static void assert_both_up(const struct sim *m)
{
	assert_int_equal(m->side[0].s.state, BFD_STATE_UP);
	assert_int_equal(m->side[1].s.state, BFD_STATE_UP);
}

static void test_come_up(void **state)
{
	struct sim m;

	sim_init(&m, 5000);
	sim_run_for(&m, 1000);
	/* The first packets went at once, in state Down, Your Discriminator 0. */
	assert_int_equal(m.side[0].n_tx, 1);
	assert_int_equal(m.side[0].tx_at[0], T0);
	sim_run_for(&m, 100000);
	assert_both_up(&m);
	/* Down -> Init on the peer's Down, Up on its Init: one round trip
	 * (each change sends at once). */
	assert_int_equal(m.side[0].up_at, T0 + 2 * 5000);
	assert_int_equal(m.side[1].up_at, T0 + 2 * 5000);
	assert_int_equal(m.side[0].s.remote_discr, m.side[1].s.local_discr);
	assert_int_equal(m.side[1].s.remote_discr, m.side[0].s.local_discr);
	assert_int_equal(m.side[0].s.local_diag, BFD_DIAG_NONE);
	/* Detection time: 3 x max(our 100 ms RX, its 100 ms TX). */
	sim_run_for(&m, 1000000);
	assert_both_up(&m);
	assert_int_equal(bfd_session_detect_time_us(&m.side[0].s), 300000);
	assert_int_equal(m.side[0].s.remote_min_tx_us, INTERVAL_US);
}

static void test_tx_intervals(void **state)
{
	struct sim m;

	/* Alone (the peer's packets are lost): Down, one packet a second,
	 * less 0..25% (§6.8.3 and §6.8.7). */
	sim_init(&m, 1000);
	m.side[1].cut = true;
	sim_run_for(&m, 60 * 1000000ull);
	struct side *a = &m.side[0];
	assert_int_equal(a->s.state, BFD_STATE_DOWN);
	assert_true(a->n_tx > 60 && a->n_tx <= 81);
	uint64_t min = UINT64_MAX, max = 0;
	for (size_t i = 1; i < a->n_tx; i++) {
		uint64_t gap = a->tx_at[i] - a->tx_at[i - 1];
		min = gap < min ? gap : min;
		max = gap > max ? gap : max;
		assert_false(a->tx_poll[i]); /* no Polls while not Up */
	}
	assert_true(min >= 750000 && max <= 1000000);
	/* The spread is used, not just its bounds. */
	assert_true(min < 780000 && max > 970000);

	/* Up: every 100 ms less 0..25%; with one packet in flight at a time,
	 * every periodic packet is a Poll. */
	sim_init(&m, 1000);
	sim_run_for(&m, 200000);
	assert_both_up(&m);
	size_t first = a->n_tx;
	sim_run_for(&m, 60 * 1000000ull);
	assert_both_up(&m);
	min = UINT64_MAX, max = 0;
	for (size_t i = first + 1; i < a->n_tx; i++) {
		uint64_t gap = a->tx_at[i] - a->tx_at[i - 1];
		min = gap < min ? gap : min;
		max = gap > max ? gap : max;
		assert_true(a->tx_poll[i]);
	}
	assert_true(min >= 75000 && max <= 100000);
	assert_true(min < 78000 && max > 97000);
	/* Each Poll got its Final: as many Finals as the peer sent Polls. */
	assert_true(a->n_finals + 1 >= m.side[1].s.polls_sent);
	assert_true(a->n_finals <= m.side[1].s.polls_sent);
	assert_int_equal(m.side[1].s.polls_lost, 0);

	/* Detect Mult 1: 75..90% (§6.8.7). */
	sim_init(&m, 1000);
	bfd_session_set_params(&m.side[0].s, INTERVAL_US, 1, m.now);
	sim_run_for(&m, 200000);
	first = a->n_tx;
	sim_run_for(&m, 30 * 1000000ull);
	max = 0;
	for (size_t i = first + 1; i < a->n_tx; i++) {
		uint64_t gap = a->tx_at[i] - a->tx_at[i - 1];
		max = gap > max ? gap : max;
		assert_true(gap >= 75000);
	}
	assert_true(max <= 90000 && max > 87000);
	/* The peer's detection time of us is 1 x 100 ms. */
	assert_int_equal(bfd_session_detect_time_us(&m.side[1].s), 100000);
}

static void test_latency(void **state)
{
	struct sim m;
	uint32_t v;

	sim_init(&m, 7000);
	assert_false(bfd_session_latency_us(&m.side[0].s, &v));
	assert_false(bfd_session_loss_ppm(&m.side[0].s, &v));
	sim_run_for(&m, 3 * 1000000);
	assert_both_up(&m);
	for (int k = 0; k < 2; k++) {
		assert_true(bfd_session_latency_us(&m.side[k].s, &v));
		assert_int_equal(v, 7000);
		assert_true(bfd_session_loss_ppm(&m.side[k].s, &v));
		assert_int_equal(v, 0);
		assert_int_equal(m.side[k].s.n_rtt, PROBE_RTT_SAMPLES);
	}

	/* Asymmetric: 3 ms one way, 11 ms back: half the round trip. */
	sim_init(&m, 3000);
	m.side[1].delay_us = 11000;
	sim_run_for(&m, 3 * 1000000);
	assert_true(bfd_session_latency_us(&m.side[0].s, &v));
	assert_int_equal(v, 7000);
	assert_true(bfd_session_latency_us(&m.side[1].s, &v));
	assert_int_equal(v, 7000);

	/* The delay changes: the median follows once most of the last 16
	 * samples have the new delay. */
	m.side[0].delay_us = m.side[1].delay_us = 20000;
	sim_run_for(&m, 3 * 1000000);
	assert_true(bfd_session_latency_us(&m.side[0].s, &v));
	assert_int_equal(v, 20000);
	/* Longer than an interval: still one Poll at a time, each answered. */
	assert_int_equal(m.side[0].s.polls_lost, 0);

	/* A round trip (400 ms) beyond the detection time (300 ms): Polls
	 * wait up to a second for their Final, so none reads as lost. */
	sim_init(&m, 200000);
	sim_run_for(&m, 10 * 1000000ull);
	assert_both_up(&m);
	assert_true(m.side[0].s.polls_sent > 10);
	assert_int_equal(m.side[0].s.polls_lost, 0);
	assert_true(bfd_session_latency_us(&m.side[0].s, &v));
	assert_int_equal(v, 200000);
}

static void test_loss(void **state)
{
	struct sim m;
	uint32_t v;

	/* 20% of what side 1 sends is lost: its Finals to side 0's Polls and
	 * its own Polls. */
	sim_init(&m, 2000);
	m.side[1].drop_pm = 200;
	sim_run_for(&m, 120 * 1000000ull);
	for (int k = 0; k < 2; k++) {
		const struct bfd_session *s = &m.side[k].s;
		assert_true(s->polls_sent > 300);
		double total = (double)s->polls_lost / (double)s->polls_sent;
		print_message("side %d: %llu of %llu polls lost (%.1f%%)\n", k,
			      (unsigned long long)s->polls_lost, (unsigned long long)s->polls_sent,
			      total * 100);
		assert_true(total > 0.15 && total < 0.25);
		/* The window of the last 64: noisier, within reason. */
		assert_true(bfd_session_loss_ppm(s, &v));
		assert_true(v > 50000 && v < 400000);
		/* Lost Polls do not spoil the latency. */
		assert_true(bfd_session_latency_us(s, &v));
		assert_int_equal(v, 2000);
	}

	/* No loss: 0 ppm. */
	sim_init(&m, 2000);
	sim_run_for(&m, 10 * 1000000ull);
	assert_true(bfd_session_loss_ppm(&m.side[0].s, &v));
	assert_int_equal(v, 0);
}

static void test_silent_peer(void **state)
{
	struct sim m;

	sim_init(&m, 4000);
	sim_run_for(&m, 2 * 1000000);
	assert_both_up(&m);
	/* Side 1 falls silent (or the link fails one way). */
	m.side[1].cut = true;
	sim_run_for(&m, 2 * 1000000);
	struct side *a = &m.side[0], *b = &m.side[1];
	/* Exactly one detection time after its last packet. */
	assert_int_equal(a->down_at - a->last_rx_us, 300000);
	assert_int_equal(a->s.local_diag, BFD_DIAG_DETECT_EXPIRED);
	assert_int_equal(a->s.state, BFD_STATE_DOWN);
	assert_int_equal(a->s.remote_discr, 0);
	/* Side 0 said Down at once; side 1 heard it one delay later. */
	assert_int_equal(b->down_at, a->down_at + 4000);
	assert_int_equal(b->s.local_diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_not_equal(b->s.state, BFD_STATE_UP);

	/* Recovery: within the slow interval and a round trip. */
	m.side[1].cut = false;
	uint64_t healed = m.now;
	sim_run_for(&m, 2 * 1000000);
	assert_both_up(&m);
	assert_true(a->up_at - healed <= 1000000 + 2 * 4000);
	assert_true(b->up_at - healed <= 1000000 + 2 * 4000);

	/* Both silent: both go down after their detection time. */
	m.side[0].cut = m.side[1].cut = true;
	sim_run_for(&m, 1000000);
	assert_int_equal(a->down_at - a->last_rx_us, 300000);
	assert_int_equal(b->down_at - b->last_rx_us, 300000);
	assert_int_equal(b->s.local_diag, BFD_DIAG_DETECT_EXPIRED);
}

static void test_admin_down(void **state)
{
	struct sim m;

	sim_init(&m, 4000);
	sim_run_for(&m, 1000000);
	assert_both_up(&m);
	struct side *a = &m.side[0], *b = &m.side[1];

	/* Side 0 is taken down: it says so at once, and side 1 follows. */
	uint64_t t = m.now;
	size_t before = a->n_tx;
	bfd_session_set_admin_down(&a->s, true, t);
	note_state(a, BFD_STATE_UP, t);
	sim_run_for(&m, 10 * 1000000ull);
	assert_int_equal(a->s.state, BFD_STATE_ADMIN_DOWN);
	assert_int_equal(a->s.local_diag, BFD_DIAG_ADMIN_DOWN);
	assert_int_equal(a->down_at, t);
	assert_int_equal(b->down_at, t + 4000);
	assert_int_equal(b->s.state, BFD_STATE_DOWN);
	assert_int_equal(b->s.local_diag, BFD_DIAG_NEIGHBOR_DOWN);
	/* For a detection time (3 x the 1 s interval while not Up), then
	 * silence (§6.8.16). */
	assert_int_equal(a->tx_at[before], t);
	assert_true(a->n_tx - before >= 3 && a->n_tx - before <= 4);
	assert_true(a->last_tx_at < t + 3 * 1000000);
	/* The peer's packets are dropped, Polls unanswered. */
	assert_true(b->n_tx > 0);
	assert_int_equal(a->n_finals, m.side[1].s.polls_sent - m.side[1].s.polls_lost -
					  (m.side[1].s.poll_sent_us != BFD_NEVER));

	/* Back up: Down at once, then up in a round trip. */
	t = m.now;
	bfd_session_set_admin_down(&a->s, false, t);
	assert_int_equal(a->s.state, BFD_STATE_DOWN);
	sim_run_for(&m, 100000);
	assert_both_up(&m);
	assert_true(a->up_at - t <= 3 * 4000);

	/* Made AdminDown: sends nothing, ever. */
	struct bfd_session s;
	struct bfd_packet p;
	bfd_session_init(&s, 7, INTERVAL_US, 3, true, 1, T0);
	assert_int_equal(s.state, BFD_STATE_ADMIN_DOWN);
	assert_false(bfd_session_output(&s, T0, &p));
	assert_int_equal(bfd_session_deadline(&s), BFD_NEVER);
	assert_false(bfd_session_output(&s, T0 + 100 * 1000000ull, &p));
}

static void test_session_input_rules(void **state)
{
	struct bfd_session s;
	struct bfd_packet p = sample, out;

	bfd_session_init(&s, 0x55667788, INTERVAL_US, 3, false, 1, T0);
	assert_true(bfd_session_output(&s, T0, &out));
	assert_int_equal(out.state, BFD_STATE_DOWN);
	assert_int_equal(out.your_discr, 0);
	assert_int_equal(out.desired_min_tx_us, BFD_SLOW_TX_US);
	assert_int_equal(out.required_min_rx_us, INTERVAL_US);
	assert_int_equal(out.required_min_echo_rx_us, 0);
	assert_int_equal(out.detect_mult, 3);
	assert_false(bfd_session_output(&s, T0, &out));

	/* Another session's discriminator. */
	p.your_discr = 0x55667789;
	assert_int_equal(bfd_session_input(&s, &p, T0 + 1), BFD_DROP_NO_SESSION);
	assert_int_equal(s.remote_discr, 0);

	/* A peer that wants no periodic packets (Required Min RX 0) gets
	 * only Finals (§6.8.7). */
	p = sample;
	p.state = BFD_STATE_DOWN;
	p.your_discr = 0;
	p.required_min_rx_us = 0;
	assert_int_equal(bfd_session_input(&s, &p, T0 + 10), BFD_OK);
	assert_int_equal(s.state, BFD_STATE_INIT);
	assert_true(bfd_session_output(&s, T0 + 10, &out));
	assert_true(out.final);
	assert_false(out.poll);
	assert_int_equal(out.state, BFD_STATE_INIT);
	assert_int_equal(out.your_discr, 0x11223344);
	assert_false(bfd_session_output(&s, T0 + 10, &out));
	assert_false(bfd_session_output(&s, T0 + 60 * 1000000ull, &out));

	/* A peer that asks for a slower rate gets it. */
	p.required_min_rx_us = 5 * 1000000;
	p.poll = false;
	p.state = BFD_STATE_INIT;
	p.your_discr = 0x55667788;
	assert_int_equal(bfd_session_input(&s, &p, T0 + 20), BFD_OK);
	assert_int_equal(s.state, BFD_STATE_UP);
	assert_true(bfd_session_output(&s, T0 + 20, &out)); /* the change, at once */
	assert_int_equal(out.state, BFD_STATE_UP);
	assert_true(out.poll);
	assert_int_equal(out.desired_min_tx_us, INTERVAL_US);
	assert_true(s.next_tx_us >= T0 + 20 + 5 * 1000000 * 3 / 4);
	assert_true(s.next_tx_us <= T0 + 20 + 5 * 1000000);
	/* The next wake-up: the detection timer. */
	assert_int_equal(bfd_session_deadline(&s), T0 + 20 + 300000);
	/* Its detection time: 3 x max(our 100 ms, its 100 ms). */
	assert_int_equal(bfd_session_detect_time_us(&s), 300000);
}

/* Two probes on real sockets. */

/* What one probe's change callback saw. */
struct probe_changes {
	int n;			 /* calls */
	enum bfd_state last_new; /* of the last call */
	char last_link[32];	 /* of the last call */
};

struct probe_env {
	struct event_base *base;
	struct probe *a, *b;
	char addr_a[INET_ADDRSTRLEN], addr_b[INET_ADDRSTRLEN], addr_x[INET_ADDRSTRLEN];
	struct probe_changes changes[2]; /* of a, of b */
};

static void on_change(void *aux, const char *link_id, enum bfd_state old_state,
		      enum bfd_state new_state)
{
	struct probe_changes *c = aux;

	c->n++;
	c->last_new = new_state;
	snprintf(c->last_link, sizeof c->last_link, "%s", link_id);
	/* The callback only tells Up from not Up. */
	assert_true((old_state == BFD_STATE_UP) != (new_state == BFD_STATE_UP));
}

static json_t *view(const char *self, const char *self_addr, const char *peer,
		    const char *peer_addr, bool admin_up)
{
	char key[64];
	const char *a = strcmp(self, peer) < 0 ? self : peer, *b = a == self ? peer : self;

	snprintf(key, sizeof key, "link/%s/%s", a, b);
	return json_pack("{s:{s:s, s:i, s:s, s:[]}, s:{s:s, s:s, s:s, s:i, s:s, s:b, s:b, s:i, "
			 "s:i}, s:{s:s}}",
			 "self", "name", self, "id", 1, "address", self_addr, "capabilities", key,
			 "a", a, "b", b, "peer", peer, "peer_id", 2, "peer_address", peer_addr,
			 "admin_up", admin_up, "probe", true, "probe_interval_ms", 20,
			 "detect_multiplier", 3, "host/x", "name", "x");
}

/* Runs the loop until 'done' says so or 'timeout_ms' passes. */
static bool run_until(struct probe_env *e, bool (*done)(struct probe_env *), int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 5; i++) {
		if (done(e))
			return true;
		struct timeval tv = {0, 5000};
		event_base_loopexit(e->base, &tv);
		event_base_dispatch(e->base);
	}
	return done(e);
}

static const char *report_state(const struct probe *p, size_t i)
{
	json_t *r = probe_report(p);
	static char buf[16];
	snprintf(buf, sizeof buf, "%s",
		 json_string_value(json_object_get(json_array_get(r, i), "state")) ?: "none");
	json_decref(r);
	return buf;
}

static bool both_up_measured(struct probe_env *e)
{
	const struct bfd_session *a = probe_session(e->a, "a/b"), *b = probe_session(e->b, "a/b");
	return a && b && a->state == BFD_STATE_UP && b->state == BFD_STATE_UP && a->n_rtt >= 3 &&
	       b->n_rtt >= 3;
}

static bool ttl_dropped(struct probe_env *e)
{
	return probe_drops(e->b, BFD_DROP_TTL) > 0;
}

static bool stranger_dropped(struct probe_env *e)
{
	return probe_drops(e->b, BFD_DROP_NO_SESSION) > 0;
}

static bool b_down(struct probe_env *e)
{
	const struct bfd_session *b = probe_session(e->b, "a/b");
	return b && b->state != BFD_STATE_UP;
}

/* Sends a valid packet for B's session from 'from' with 'ttl'. */
static void send_raw(struct probe_env *e, const char *from, int ttl, uint32_t your_discr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	struct bfd_packet p = sample;
	uint8_t buf[BFD_PACKET_SIZE];

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, e->addr_b, &dst.sin_addr), 1);
	dst.sin_port = htons(BFD_PORT);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), 0);
	p.your_discr = your_discr;
	p.poll = false;
	bfd_packet_encode(&p, buf);
	assert_int_equal(sendto(fd, buf, sizeof buf, 0, (struct sockaddr *)&dst, sizeof dst),
			 (ssize_t)sizeof buf);
	close(fd);
}

static void test_sockets(void **state)
{
	struct probe_env e;
	json_t *va, *vb, *r;
	unsigned int n = (unsigned int)getpid();

	memset(&e, 0, sizeof e);
	/* Addresses of our own in 127/8: runs in parallel do not meet. */
	snprintf(e.addr_a, sizeof e.addr_a, "127.%u.%u.2", 1 + (n >> 8) % 250, n % 250);
	snprintf(e.addr_b, sizeof e.addr_b, "127.%u.%u.3", 1 + (n >> 8) % 250, n % 250);
	snprintf(e.addr_x, sizeof e.addr_x, "127.%u.%u.4", 1 + (n >> 8) % 250, n % 250);
	e.base = event_base_new();
	assert_non_null(e.base);
	e.a = probe_create(e.base, 0, on_change, &e.changes[0]);
	e.b = probe_create(e.base, 0, on_change, &e.changes[1]);
	/* No view yet: no links. */
	r = probe_report(e.a);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);

	va = view("a", e.addr_a, "b", e.addr_b, true);
	vb = view("b", e.addr_b, "a", e.addr_a, true);
	assert_non_null(va);
	assert_non_null(vb);
	uint64_t t0 = time_usec();
	probe_update(e.a, va);
	probe_update(e.b, vb);
	assert_true(run_until(&e, both_up_measured, 5000));
	print_message("up and measured in %llu ms\n",
		      (unsigned long long)(time_usec() - t0) / 1000);
	assert_int_equal(e.changes[0].n, 1);
	assert_int_equal(e.changes[0].last_new, BFD_STATE_UP);
	assert_int_equal(e.changes[1].n, 1);
	assert_string_equal(e.changes[1].last_link, "a/b");

	/* The report: id, peer, state, latency, loss. */
	r = probe_report(e.a);
	assert_int_equal(json_array_size(r), 1);
	json_t *l = json_array_get(r, 0);
	assert_string_equal(json_string_value(json_object_get(l, "id")), "a/b");
	assert_string_equal(json_string_value(json_object_get(l, "peer")), "b");
	assert_string_equal(json_string_value(json_object_get(l, "state")), "up");
	assert_true(json_is_integer(json_object_get(l, "latency_us")));
	assert_true(json_integer_value(json_object_get(l, "latency_us")) < 20000);
	assert_true(json_is_integer(json_object_get(l, "loss_ppm")));
	assert_int_equal(json_object_size(l), 5);
	char *dump = json_dumps(r, JSON_COMPACT);
	print_message("report of a: %s\n", dump);
	free(dump);
	json_decref(r);

	/* GTSM: TTL below 255 is dropped; so is a stranger with 255. */
	const struct bfd_session *sb = probe_session(e.b, "a/b");
	send_raw(&e, e.addr_a, 64, sb->local_discr);
	assert_true(run_until(&e, ttl_dropped, 1000));
	send_raw(&e, e.addr_x, 255, sb->local_discr);
	assert_true(run_until(&e, stranger_dropped, 1000));
	assert_int_equal(sb->state, BFD_STATE_UP);

	/* A goes away: B sees it within its detection time (60 ms) and
	 * the timer's slack. */
	probe_destroy(e.a);
	e.a = NULL;
	t0 = time_usec();
	assert_true(run_until(&e, b_down, 1000));
	uint64_t took_ms = (time_usec() - t0) / 1000;
	print_message("peer gone: down after %llu ms\n", (unsigned long long)took_ms);
	assert_true(took_ms >= 35 && took_ms < 500);
	assert_int_equal(e.changes[1].n, 2);
	assert_int_equal(e.changes[1].last_new, BFD_STATE_DOWN);
	assert_string_equal(report_state(e.b, 0), "down");

	/* The link taken administratively down, then removed. */
	json_decref(vb);
	vb = view("b", e.addr_b, "a", e.addr_a, false);
	probe_update(e.b, vb);
	assert_string_equal(report_state(e.b, 0), "admin_down");
	json_object_del(vb, "link/a/b");
	probe_update(e.b, vb);
	r = probe_report(e.b);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);

	/* A bad entry is skipped, and a kernel VTEP's link not probed. */
	json_object_set_new(vb, "link/a/b",
			    json_pack("{s:s, s:s}", "peer", "a", "peer_address", "300.1.1.1"));
	json_object_set_new(
	    vb, "link/b/v",
	    json_pack("{s:s, s:s, s:b}", "peer", "v", "peer_address", "127.0.0.9", "probe", 0));
	probe_update(e.b, vb);
	r = probe_report(e.b);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);

	json_decref(va);
	json_decref(vb);
	probe_destroy(e.b);
	event_base_free(e.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet_bytes),
	    cmocka_unit_test(test_packet_validation),
	    cmocka_unit_test(test_come_up),
	    cmocka_unit_test(test_tx_intervals),
	    cmocka_unit_test(test_latency),
	    cmocka_unit_test(test_loss),
	    cmocka_unit_test(test_silent_peer),
	    cmocka_unit_test(test_admin_down),
	    cmocka_unit_test(test_session_input_rules),
	    cmocka_unit_test(test_sockets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
