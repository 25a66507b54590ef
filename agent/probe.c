// SPDX-License-Identifier: Apache-2.0
/*
 * Link probing with BFD (see probe.h): the control packet's codec, the
 * session's state machine, timers and statistics (pure, driven by the
 * caller's clock), then the sessions of the host's links on two UDP
 * sockets and a libevent timer per session.
 */
#include "probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_MODULE "probe"
#include "onm/hmap.h"
#include "onm/log.h"
#include "onm/net.h"

/* Flags of byte 1, after the two state bits. */
#define BFD_FLAG_P 0x20
#define BFD_FLAG_F 0x10
#define BFD_FLAG_C 0x08
#define BFD_FLAG_A 0x04
#define BFD_FLAG_D 0x02
#define BFD_FLAG_M 0x01
/* The shortest Length with an authentication section (§6.8.6). */
#define BFD_AUTH_MIN_LENGTH 26

static const char *const drop_names[BFD_N_DROPS] = {
    [BFD_OK] = "ok",
    [BFD_DROP_SHORT] = "short",
    [BFD_DROP_VERSION] = "version",
    [BFD_DROP_LENGTH] = "length",
    [BFD_DROP_DETECT_MULT] = "detect_mult",
    [BFD_DROP_MULTIPOINT] = "multipoint",
    [BFD_DROP_MY_DISCR] = "my_discr",
    [BFD_DROP_YOUR_DISCR] = "your_discr",
    [BFD_DROP_AUTH] = "auth",
    [BFD_DROP_POLL_FINAL] = "poll_final",
    [BFD_DROP_TTL] = "ttl",
    [BFD_DROP_NO_SESSION] = "no_session",
    [BFD_DROP_ADMIN_DOWN] = "admin_down",
};

const char *bfd_drop_name(enum bfd_drop d)
{
	return (unsigned int)d < BFD_N_DROPS ? drop_names[d] : "?";
}

const char *bfd_state_name(enum bfd_state s)
{
	static const char *const names[] = {"admin_down", "down", "init", "up"};
	return (unsigned int)s < ARRAY_SIZE(names) ? names[s] : "?";
}

static const char *diag_name(enum bfd_diag d)
{
	static const char *const names[] = {
	    "no diagnostic",
	    "detection time expired",
	    "echo function failed",
	    "neighbor signaled session down",
	    "forwarding plane reset",
	    "path down",
	    "concatenated path down",
	    "administratively down",
	    "reverse concatenated path down",
	};
	return (unsigned int)d < ARRAY_SIZE(names) ? names[d] : "unknown diagnostic";
}

/* The control packet (RFC 5880 §4.1). */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void bfd_packet_encode(const struct bfd_packet *p, uint8_t buf[BFD_PACKET_SIZE])
{
	buf[0] = (uint8_t)(BFD_VERSION << 5 | (p->diag & 0x1f));
	buf[1] = (uint8_t)((p->state & 3) << 6 | (p->poll ? BFD_FLAG_P : 0) |
			   (p->final ? BFD_FLAG_F : 0) | (p->cpi ? BFD_FLAG_C : 0) |
			   (p->auth ? BFD_FLAG_A : 0) | (p->demand ? BFD_FLAG_D : 0) |
			   (p->multipoint ? BFD_FLAG_M : 0));
	buf[2] = p->detect_mult;
	buf[3] = BFD_PACKET_SIZE;
	put32(buf + 4, p->my_discr);
	put32(buf + 8, p->your_discr);
	put32(buf + 12, p->desired_min_tx_us);
	put32(buf + 16, p->required_min_rx_us);
	put32(buf + 20, p->required_min_echo_rx_us);
}

/* The checks are in the order of RFC 5880 §6.8.6, so that a packet with
 * several faults is counted under the first the RFC names. */
enum bfd_drop bfd_packet_decode(const uint8_t *data, size_t size, struct bfd_packet *p)
{
	if (size < BFD_PACKET_SIZE)
		return BFD_DROP_SHORT;
	if (data[0] >> 5 != BFD_VERSION)
		return BFD_DROP_VERSION;
	p->diag = data[0] & 0x1f;
	p->state = (enum bfd_state)(data[1] >> 6);
	p->poll = data[1] & BFD_FLAG_P;
	p->final = data[1] & BFD_FLAG_F;
	p->cpi = data[1] & BFD_FLAG_C;
	p->auth = data[1] & BFD_FLAG_A;
	p->demand = data[1] & BFD_FLAG_D;
	p->multipoint = data[1] & BFD_FLAG_M;
	p->detect_mult = data[2];
	p->length = data[3];
	p->my_discr = get32(data + 4);
	p->your_discr = get32(data + 8);
	p->desired_min_tx_us = get32(data + 12);
	p->required_min_rx_us = get32(data + 16);
	p->required_min_echo_rx_us = get32(data + 20);

	if (p->length < (p->auth ? BFD_AUTH_MIN_LENGTH : BFD_PACKET_SIZE) || p->length > size)
		return BFD_DROP_LENGTH;
	if (!p->detect_mult)
		return BFD_DROP_DETECT_MULT;
	if (p->multipoint)
		return BFD_DROP_MULTIPOINT;
	if (!p->my_discr)
		return BFD_DROP_MY_DISCR;
	if (!p->your_discr && p->state != BFD_STATE_DOWN && p->state != BFD_STATE_ADMIN_DOWN)
		return BFD_DROP_YOUR_DISCR;
	if (p->auth)
		return BFD_DROP_AUTH;
	if (p->poll && p->final)
		return BFD_DROP_POLL_FINAL;
	return BFD_OK;
}

/* The session. */

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* xorshift64*: the jitter needs spread, not secrecy. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* bfd.DesiredMinTxInterval: at least a second while not Up (§6.8.3). */
static uint64_t desired_min_tx_us(const struct bfd_session *s)
{
	if (s->state == BFD_STATE_UP)
		return s->interval_us;
	return max_u64(s->interval_us, BFD_SLOW_TX_US);
}

/* The interval between periodic packets before jitter (§6.8.7). */
static uint64_t tx_interval_us(const struct bfd_session *s)
{
	return max_u64(desired_min_tx_us(s), s->remote_min_rx_us);
}

/* 'interval' less 0..25% at random, or 10..25% with Detect Mult 1, so
 * that the sessions of a host do not synchronize (§6.8.7). */
static uint64_t jittered(struct bfd_session *s, uint64_t interval)
{
	uint64_t span_ppm = s->detect_mult == 1 ? 150000 : 250000;
	uint64_t keep_ppm = 750000 + prng_next(&s->prng) % (span_ppm + 1);
	return interval * keep_ppm / 1000000;
}

uint64_t bfd_session_detect_time_us(const struct bfd_session *s)
{
	return (uint64_t)s->remote_detect_mult * max_u64(s->interval_us, s->remote_min_tx_us);
}

static uint64_t poll_timeout_us(const struct bfd_session *s)
{
	return max_u64(bfd_session_detect_time_us(s), PROBE_POLL_TIMEOUT_MIN_US);
}

static void rtt_add(struct bfd_session *s, uint64_t rtt_us)
{
	s->rtt_us[s->rtt_next] = (uint32_t)min_u64(rtt_us, UINT32_MAX);
	s->rtt_next = (s->rtt_next + 1) % PROBE_RTT_SAMPLES;
	if (s->n_rtt < PROBE_RTT_SAMPLES)
		s->n_rtt++;
}

static void loss_add(struct bfd_session *s, bool lost)
{
	uint64_t bit = 1ull << s->loss_next;
	s->loss_bits = lost ? s->loss_bits | bit : s->loss_bits & ~bit;
	s->loss_next = (s->loss_next + 1) % PROBE_LOSS_WINDOW;
	if (s->n_loss < PROBE_LOSS_WINDOW)
		s->n_loss++;
	if (lost)
		s->polls_lost++;
}

/* The next periodic packet, counted from the last one (now if none). */
static void schedule_tx(struct bfd_session *s, uint64_t now_us)
{
	if (s->last_tx_us == BFD_NEVER)
		s->next_tx_us = now_us;
	else
		s->next_tx_us = s->last_tx_us + jittered(s, tx_interval_us(s));
}

static void set_state(struct bfd_session *s, enum bfd_state state, enum bfd_diag diag)
{
	if (s->state == state)
		return;
	/* A Poll outstanding when the session leaves Up is forgotten: loss
	 * is measured while the link is up. */
	if (s->state == BFD_STATE_UP)
		s->poll_sent_us = BFD_NEVER;
	s->state = state;
	s->local_diag = diag;
	s->send_now = true;
}

void bfd_session_init(struct bfd_session *s, uint32_t local_discr, uint32_t interval_us,
		      uint8_t detect_mult, bool admin_down, uint64_t seed, uint64_t now_us)
{
	memset(s, 0, sizeof *s);
	s->state = BFD_STATE_DOWN;
	s->remote_state = BFD_STATE_DOWN;
	s->local_discr = local_discr;
	s->interval_us = interval_us;
	s->detect_mult = detect_mult;
	s->remote_min_rx_us = 1; /* §6.8.1: until the peer says otherwise */
	s->last_tx_us = BFD_NEVER;
	s->next_tx_us = now_us;
	s->detect_us = BFD_NEVER;
	s->poll_sent_us = BFD_NEVER;
	s->send_now = true;
	s->prng = seed ? seed : 0x9e3779b97f4a7c15ull;
	if (admin_down) {
		/* Nothing to tell a peer that never heard from us. */
		s->state = BFD_STATE_ADMIN_DOWN;
		s->local_diag = BFD_DIAG_ADMIN_DOWN;
		s->send_now = false;
		s->admin_tx_until_us = 0;
	}
}

void bfd_session_set_params(struct bfd_session *s, uint32_t interval_us, uint8_t detect_mult,
			    uint64_t now_us)
{
	uint64_t old = tx_interval_us(s);
	s->interval_us = interval_us;
	s->detect_mult = detect_mult;
	/* §6.8.3 wants a Poll Sequence for the peer to take the change:
	 * an Up session always has one Poll outstanding or about to go. */
	if (tx_interval_us(s) != old && !s->send_now)
		schedule_tx(s, now_us);
}

void bfd_session_set_admin_down(struct bfd_session *s, bool down, uint64_t now_us)
{
	if (down && s->state != BFD_STATE_ADMIN_DOWN) {
		set_state(s, BFD_STATE_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN);
		s->final_due = false;
		/* §6.8.16: tell the peer for a detection time (its own, of
		 * us), then fall silent. */
		s->admin_tx_until_us = now_us + (uint64_t)s->detect_mult * tx_interval_us(s);
	} else if (!down && s->state == BFD_STATE_ADMIN_DOWN) {
		set_state(s, BFD_STATE_DOWN, BFD_DIAG_NONE);
	}
}

/* The state machine of §6.8.6 for a packet in state 'remote'. */
static void state_input(struct bfd_session *s, enum bfd_state remote)
{
	if (remote == BFD_STATE_ADMIN_DOWN) {
		if (s->state != BFD_STATE_DOWN)
			set_state(s, BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
		return;
	}
	switch (s->state) {
	case BFD_STATE_DOWN:
		if (remote == BFD_STATE_DOWN)
			set_state(s, BFD_STATE_INIT, s->local_diag);
		else if (remote == BFD_STATE_INIT)
			set_state(s, BFD_STATE_UP, BFD_DIAG_NONE);
		break;
	case BFD_STATE_INIT:
		if (remote == BFD_STATE_INIT || remote == BFD_STATE_UP)
			set_state(s, BFD_STATE_UP, BFD_DIAG_NONE);
		break;
	case BFD_STATE_UP:
		if (remote == BFD_STATE_DOWN)
			set_state(s, BFD_STATE_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
		break;
	case BFD_STATE_ADMIN_DOWN:
		break;
	}
}

enum bfd_drop bfd_session_input(struct bfd_session *s, const struct bfd_packet *p, uint64_t now_us)
{
	if (p->your_discr && p->your_discr != s->local_discr)
		return BFD_DROP_NO_SESSION;

	uint64_t old_interval = tx_interval_us(s);
	s->remote_discr = p->my_discr;
	s->remote_state = p->state;
	s->remote_demand = p->demand;
	if (p->final && s->poll_sent_us != BFD_NEVER) {
		rtt_add(s, now_us - s->poll_sent_us);
		loss_add(s, false);
		s->poll_sent_us = BFD_NEVER;
	}
	s->remote_min_rx_us = p->required_min_rx_us;
	s->remote_min_tx_us = p->desired_min_tx_us;
	s->remote_detect_mult = p->detect_mult;
	s->detect_us = now_us + bfd_session_detect_time_us(s);
	if (s->state == BFD_STATE_ADMIN_DOWN)
		return BFD_DROP_ADMIN_DOWN;

	s->rx_packets++;
	state_input(s, p->state);
	if (p->poll)
		s->final_due = true;
	/* The peer may have asked for a slower (or allowed a faster) rate. */
	if (tx_interval_us(s) != old_interval && !s->send_now)
		schedule_tx(s, now_us);
	return BFD_OK;
}

void bfd_session_run(struct bfd_session *s, uint64_t now_us)
{
	if (s->detect_us != BFD_NEVER && now_us >= s->detect_us) {
		s->detect_us = BFD_NEVER;
		s->remote_discr = 0; /* §6.8.1 */
		if (s->state == BFD_STATE_INIT || s->state == BFD_STATE_UP)
			set_state(s, BFD_STATE_DOWN, BFD_DIAG_DETECT_EXPIRED);
	}
	if (s->poll_sent_us != BFD_NEVER && now_us >= s->poll_sent_us + poll_timeout_us(s)) {
		loss_add(s, true);
		s->poll_sent_us = BFD_NEVER;
	}
}

static void fill(const struct bfd_session *s, struct bfd_packet *p, bool poll, bool final)
{
	memset(p, 0, sizeof *p);
	p->diag = (uint8_t)s->local_diag;
	p->state = s->state;
	p->poll = poll;
	p->final = final;
	p->detect_mult = s->detect_mult;
	p->length = BFD_PACKET_SIZE;
	p->my_discr = s->local_discr;
	p->your_discr = s->remote_discr;
	p->desired_min_tx_us = (uint32_t)min_u64(desired_min_tx_us(s), UINT32_MAX);
	p->required_min_rx_us = s->interval_us;
	p->required_min_echo_rx_us = 0;
}

/* When the next packet other than a Final may go, or BFD_NEVER. */
static uint64_t tx_due_us(const struct bfd_session *s)
{
	/* §6.8.7: a peer with Required Min RX 0 wants no periodic packets. */
	if (!s->remote_min_rx_us)
		return BFD_NEVER;
	uint64_t due = s->send_now ? 0 : s->next_tx_us;
	if (s->state == BFD_STATE_ADMIN_DOWN && due >= s->admin_tx_until_us)
		return BFD_NEVER;
	return due;
}

bool bfd_session_output(struct bfd_session *s, uint64_t now_us, struct bfd_packet *p)
{
	if (s->final_due) {
		/* At once, outside the schedule (§6.8.7), and never with P. */
		s->final_due = false;
		fill(s, p, false, true);
		s->tx_packets++;
		return true;
	}
	uint64_t due = tx_due_us(s);
	if (due == BFD_NEVER || due > now_us) {
		if (due == BFD_NEVER)
			s->send_now = false;
		return false;
	}
	bool poll = s->state == BFD_STATE_UP && s->poll_sent_us == BFD_NEVER;
	fill(s, p, poll, false);
	if (poll) {
		s->poll_sent_us = now_us;
		s->polls_sent++;
	}
	s->send_now = false;
	s->last_tx_us = now_us;
	s->next_tx_us = now_us + jittered(s, tx_interval_us(s));
	s->tx_packets++;
	return true;
}

uint64_t bfd_session_deadline(const struct bfd_session *s)
{
	if (s->final_due)
		return 0;
	uint64_t t = min_u64(tx_due_us(s), s->detect_us);
	if (s->poll_sent_us != BFD_NEVER)
		t = min_u64(t, s->poll_sent_us + poll_timeout_us(s));
	return t;
}

bool bfd_session_latency_us(const struct bfd_session *s, uint32_t *latency_us)
{
	uint32_t v[PROBE_RTT_SAMPLES];
	unsigned int n = s->n_rtt;

	if (!n)
		return false;
	/* Insertion sort: sixteen values. */
	for (unsigned int i = 0; i < n; i++) {
		unsigned int j = i;
		for (; j > 0 && v[j - 1] > s->rtt_us[i]; j--)
			v[j] = v[j - 1];
		v[j] = s->rtt_us[i];
	}
	uint64_t median = n % 2 ? v[n / 2] : ((uint64_t)v[n / 2 - 1] + v[n / 2]) / 2;
	*latency_us = (uint32_t)(median / 2);
	return true;
}

bool bfd_session_loss_ppm(const struct bfd_session *s, uint32_t *loss_ppm)
{
	if (!s->n_loss)
		return false;
	*loss_ppm = (uint32_t)((uint64_t)__builtin_popcountll(s->loss_bits) * 1000000 / s->n_loss);
	return true;
}

/* The I/O layer: sessions of the host's links. */

/* Datagrams read per wake-up, so that a flood cannot hold the loop. */
#define RX_BATCH 64
/* Delay between attempts to bind to the host's address. */
#define BIND_RETRY_MS 1000
/* Attempts at a free source port. */
#define SRC_PORT_ATTEMPTS 64
/* IP precedence 6 (DSCP CS6, network control), as routing protocols send. */
#define BFD_TOS 0xc0

/* One session, over one link of the host. */
struct probe_link {
	struct hmap_node id_node;    /* in probe->links, by hash of 'id' */
	struct hmap_node discr_node; /* in probe->by_discr, by local discriminator */
	struct hmap_node addr_node;  /* in probe->by_addr, by 'peer_address' */
	struct probe *probe;
	char *id;	       /* the link's id, "A/B" */
	char *peer;	       /* the peer host's name */
	uint32_t peer_address; /* the peer's underlay address, host order */
	struct bfd_session s;  /* the session */
	struct event *timer;   /* at bfd_session_deadline() */
	uint64_t seen;	       /* generation of the last update that had the link */
};

struct probe {
	struct event_base *base;
	uint16_t port; /* listened on and sent to */
	probe_change_fn *on_change;
	void *aux;
	uint32_t self_address;	 /* host order, 0 before a view had one */
	bool bound;		 /* 'rx_fd' and 'tx_fd' are open */
	bool bind_failed_logged; /* for 'self_address' already */
	int rx_fd;		 /* on self_address:port, -1 if none */
	int tx_fd;		 /* on self_address:source port, -1 if none */
	uint16_t src_port;	 /* of 'tx_fd' */
	struct event *rx_ev;
	struct event *tx_ev;	     /* drains what arrives at 'tx_fd' */
	struct event *retry;	     /* binds again after a failure */
	struct hmap links;	     /* struct probe_link, by id */
	struct hmap by_discr;	     /* struct probe_link, by local discriminator */
	struct hmap by_addr;	     /* struct probe_link, by peer address */
	uint64_t generation;	     /* updates so far */
	uint64_t drops[BFD_N_DROPS]; /* received packets dropped, by reason */
	uint64_t tx_errors;	     /* packets the kernel refused */
};

static uint32_t hash_u32(uint32_t v)
{
	return hash_add(0, v);
}

static struct probe_link *link_find(const struct probe *p, const char *id)
{
	struct probe_link *l;
	HMAP_FOR_EACH_WITH_HASH (l, id_node, hash_string(id, 0), &p->links)
		if (!strcmp(l->id, id))
			return l;
	return NULL;
}

static struct probe_link *link_by_discr(const struct probe *p, uint32_t discr)
{
	struct probe_link *l;
	HMAP_FOR_EACH_WITH_HASH (l, discr_node, hash_u32(discr), &p->by_discr)
		if (l->s.local_discr == discr)
			return l;
	return NULL;
}

static struct probe_link *link_by_addr(const struct probe *p, uint32_t addr)
{
	struct probe_link *l;
	HMAP_FOR_EACH_WITH_HASH (l, addr_node, hash_u32(addr), &p->by_addr)
		if (l->peer_address == addr)
			return l;
	return NULL;
}

static void link_send(struct probe_link *l, const struct bfd_packet *pkt)
{
	struct probe *p = l->probe;
	uint8_t buf[BFD_PACKET_SIZE];

	if (p->tx_fd < 0)
		return; /* not bound yet: the peer hears nothing, as over a dead link */
	bfd_packet_encode(pkt, buf);
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(p->port),
	    .sin_addr.s_addr = htonl(l->peer_address),
	};
	if (sendto(p->tx_fd, buf, sizeof buf, 0, (struct sockaddr *)&sin, sizeof sin) < 0) {
		p->tx_errors++;
		/* No route while the lab has the link down: expected. */
		if (errno == ENETUNREACH || errno == EHOSTUNREACH || errno == EAGAIN)
			LOG_DBG("link %s: cannot send to %s: %s", l->id, l->peer, strerror(errno));
		else
			LOG_WARN_RL("link %s: cannot send to %s: %s", l->id, l->peer,
				    strerror(errno));
	}
}

static void link_arm(struct probe_link *l, uint64_t now_us)
{
	uint64_t at = bfd_session_deadline(&l->s);

	if (at == BFD_NEVER) {
		event_del(l->timer);
		return;
	}
	uint64_t delay_us = at > now_us ? at - now_us : 0;
	struct timeval tv = {(time_t)(delay_us / 1000000), (suseconds_t)(delay_us % 1000000)};
	evtimer_add(l->timer, &tv);
}

static void link_state_changed(struct probe_link *l, enum bfd_state old)
{
	struct probe *p = l->probe;
	enum bfd_state now = l->s.state;
	bool was_up = old == BFD_STATE_UP, is_up = now == BFD_STATE_UP;

	if (was_up != is_up || now == BFD_STATE_ADMIN_DOWN || old == BFD_STATE_ADMIN_DOWN)
		LOG_INFO("link %s to %s: %s -> %s (%s)", l->id, l->peer, bfd_state_name(old),
			 bfd_state_name(now), diag_name(l->s.local_diag));
	else
		LOG_DBG("link %s to %s: %s -> %s", l->id, l->peer, bfd_state_name(old),
			bfd_state_name(now));
	if (was_up != is_up && p->on_change)
		p->on_change(p->aux, l->id, old, now);
}

/* Runs the session's timers, sends what is due, says if the state
 * changed since 'old', and sets the timer for the next time. */
static void link_service(struct probe_link *l, enum bfd_state old)
{
	uint64_t now = time_usec();
	struct bfd_packet pkt;

	bfd_session_run(&l->s, now);
	/* At most a Final and a periodic packet; the bound is a guard. */
	for (int i = 0; i < 4 && bfd_session_output(&l->s, now, &pkt); i++)
		link_send(l, &pkt);
	if (l->s.state != old)
		link_state_changed(l, old);
	link_arm(l, now);
}

static void on_link_timer(evutil_socket_t fd, short what, void *l_)
{
	struct probe_link *l = l_;
	link_service(l, l->s.state);
}

static void drop(struct probe *p, enum bfd_drop reason, uint32_t src)
{
	char addr[IPV4_ADDR_STRLEN];

	p->drops[reason]++;
	if (reason == BFD_DROP_ADMIN_DOWN)
		return; /* the peer does not know yet; expected */
	ipv4_format(src, addr);
	LOG_INFO_RL("BFD packet from %s dropped: %s", addr, bfd_drop_name(reason));
}

static void packet_input(struct probe *p, uint32_t src, int ttl, const uint8_t *data, size_t size)
{
	struct bfd_packet pkt;
	struct probe_link *l;
	enum bfd_drop rc;

	/* GTSM (RFC 5881 §5): only a neighbour on the link can send 255. */
	if (ttl != BFD_TTL) {
		drop(p, BFD_DROP_TTL, src);
		return;
	}
	rc = bfd_packet_decode(data, size, &pkt);
	if (rc) {
		drop(p, rc, src);
		return;
	}
	l = pkt.your_discr ? link_by_discr(p, pkt.your_discr) : link_by_addr(p, src);
	if (!l || l->peer_address != src) {
		drop(p, BFD_DROP_NO_SESSION, src);
		return;
	}
	enum bfd_state old = l->s.state;
	rc = bfd_session_input(&l->s, &pkt, time_usec());
	if (rc)
		drop(p, rc, src);
	link_service(l, old);
}

static void on_rx(evutil_socket_t fd, short what, void *p_)
{
	struct probe *p = p_;

	for (int i = 0; i < RX_BATCH; i++) {
		/* Length is one byte: 255 is the longest a packet can say it is. */
		uint8_t buf[256];
		char control[CMSG_SPACE(sizeof(int))];
		struct sockaddr_in sin;
		struct iovec iov = {buf, sizeof buf};
		struct msghdr msg = {
		    .msg_name = &sin,
		    .msg_namelen = sizeof sin,
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = control,
		    .msg_controllen = sizeof control,
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				LOG_WARN_RL("BFD socket: %s", strerror(errno));
			return;
		}
		int ttl = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
		if (msg.msg_namelen < sizeof sin || sin.sin_family != AF_INET)
			continue;
		packet_input(p, ntohl(sin.sin_addr.s_addr), ttl, buf, (size_t)n);
	}
}

/* Nothing is meant to arrive at the source port; whatever does is read
 * and thrown away so that it does not sit in the buffer. */
static void on_tx_readable(evutil_socket_t fd, short what, void *p_)
{
	uint8_t buf[256];
	for (int i = 0; i < RX_BATCH && recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0; i++)
		continue;
}

static void sockets_close(struct probe *p)
{
	if (p->rx_ev)
		event_free(p->rx_ev);
	if (p->tx_ev)
		event_free(p->tx_ev);
	p->rx_ev = p->tx_ev = NULL;
	if (p->rx_fd >= 0)
		close(p->rx_fd);
	if (p->tx_fd >= 0)
		close(p->tx_fd);
	p->rx_fd = p->tx_fd = -1;
	p->bound = false;
}

static int socket_bind(uint32_t addr, uint16_t port, bool rx, int *fdp)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, ttl = BFD_TTL, tos = BFD_TOS;
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(addr),
	};

	if (fd < 0)
		return -errno;
	if (rx) {
		if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one))
			goto err;
		/* The kernel drops the rest before we see them; the TTL is
		 * checked again on receipt for kernels without IP_MINTTL. */
		(void)setsockopt(fd, IPPROTO_IP, IP_MINTTL, &ttl, sizeof ttl);
	} else {
		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl))
			goto err;
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin))
		goto err;
	*fdp = fd;
	return 0;

err:;
	int rc = -errno;
	close(fd);
	return rc;
}

static void on_retry(evutil_socket_t fd, short what, void *p_);

/* Opens both sockets on 'self_address'. On failure tries again later. */
static void sockets_open(struct probe *p)
{
	char addr[IPV4_ADDR_STRLEN];
	int rc;

	ipv4_format(p->self_address, addr);
	rc = socket_bind(p->self_address, p->port, true, &p->rx_fd);
	if (rc)
		goto err;
	/* RFC 5881 §4: one source port from 49152..65535 for the session;
	 * all ours share one. */
	for (int i = 0; i < SRC_PORT_ATTEMPTS; i++) {
		p->src_port =
		    (uint16_t)(BFD_SRC_PORT_MIN +
			       randombytes_uniform(BFD_SRC_PORT_MAX - BFD_SRC_PORT_MIN + 1));
		rc = socket_bind(p->self_address, p->src_port, false, &p->tx_fd);
		if (rc != -EADDRINUSE)
			break;
	}
	if (rc)
		goto err;
	p->rx_ev = event_new(p->base, p->rx_fd, EV_READ | EV_PERSIST, on_rx, p);
	p->tx_ev = event_new(p->base, p->tx_fd, EV_READ | EV_PERSIST, on_tx_readable, p);
	if (!p->rx_ev || !p->tx_ev || event_add(p->rx_ev, NULL) || event_add(p->tx_ev, NULL))
		onm_abort("cannot add the BFD socket events");
	p->bound = true;
	p->bind_failed_logged = false;
	LOG_INFO("BFD on %s port %u (source port %u)", addr, p->port, p->src_port);
	return;

err:
	sockets_close(p);
	/* The address may not be on the host yet (the lab adds it): retry,
	 * saying so once per address. */
	if (!p->bind_failed_logged)
		LOG_WARN("cannot bind BFD to %s port %u: %s; retrying every %d ms", addr, p->port,
			 strerror(-rc), BIND_RETRY_MS);
	else
		LOG_DBG("cannot bind BFD to %s port %u: %s", addr, p->port, strerror(-rc));
	p->bind_failed_logged = true;
	struct timeval tv = {BIND_RETRY_MS / 1000, (BIND_RETRY_MS % 1000) * 1000};
	evtimer_add(p->retry, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *p_)
{
	struct probe *p = p_;
	if (p->self_address && !p->bound)
		sockets_open(p);
}

struct probe *probe_create(struct event_base *base, uint16_t port, probe_change_fn *on_change,
			   void *aux)
{
	struct probe *p = xzalloc(sizeof *p);

	p->base = base;
	p->port = port ? port : BFD_PORT;
	p->on_change = on_change;
	p->aux = aux;
	p->rx_fd = p->tx_fd = -1;
	hmap_init(&p->links);
	hmap_init(&p->by_discr);
	hmap_init(&p->by_addr);
	p->retry = evtimer_new(base, on_retry, p);
	if (!p->retry)
		onm_abort("cannot create the BFD retry timer");
	return p;
}

static void link_destroy(struct probe *p, struct probe_link *l)
{
	hmap_remove(&p->links, &l->id_node);
	hmap_remove(&p->by_discr, &l->discr_node);
	hmap_remove(&p->by_addr, &l->addr_node);
	event_free(l->timer);
	free(l->id);
	free(l->peer);
	free(l);
}

void probe_destroy(struct probe *p)
{
	if (!p)
		return;
	struct probe_link *l;
	HMAP_FOR_EACH_SAFE (l, id_node, &p->links)
		link_destroy(p, l);
	hmap_destroy(&p->links);
	hmap_destroy(&p->by_discr);
	hmap_destroy(&p->by_addr);
	sockets_close(p);
	event_free(p->retry);
	free(p);
}

/* What a `link/A/B` entry says. */
struct link_config {
	const char *peer;
	uint32_t peer_address;
	bool admin_up;
	bool probe;
	uint32_t interval_ms;
	uint8_t detect_mult;
};

static bool get_bool(const json_t *o, const char *key, bool dflt, bool *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return true;
	}
	if (!json_is_boolean(v))
		return false;
	*out = json_is_true(v);
	return true;
}

static bool get_int(const json_t *o, const char *key, json_int_t dflt, json_int_t min,
		    json_int_t max, json_int_t *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* Returns NULL, or what is wrong with the entry (static). */
static const char *link_config_parse(const json_t *v, struct link_config *c)
{
	json_int_t interval, mult;

	if (!json_is_object(v))
		return "not an object";
	c->peer = json_string_value(json_object_get(v, "peer"));
	if (!c->peer || !c->peer[0])
		return "\"peer\" is not a non-empty string";
	const char *addr = json_string_value(json_object_get(v, "peer_address"));
	if (!addr || !ipv4_parse(addr, &c->peer_address) || !c->peer_address)
		return "\"peer_address\" is not an IPv4 address";
	if (!get_bool(v, "admin_up", true, &c->admin_up))
		return "\"admin_up\" is not a boolean";
	if (!get_bool(v, "probe", true, &c->probe))
		return "\"probe\" is not a boolean";
	if (!get_int(v, "probe_interval_ms", PROBE_INTERVAL_MS_DEFAULT, 1, 60000, &interval))
		return "\"probe_interval_ms\" is not an integer in 1..60000";
	if (!get_int(v, "detect_multiplier", PROBE_DETECT_MULT_DEFAULT, 1, 255, &mult))
		return "\"detect_multiplier\" is not an integer in 1..255";
	c->interval_ms = (uint32_t)interval;
	c->detect_mult = (uint8_t)mult;
	return NULL;
}

static struct probe_link *link_create(struct probe *p, const char *id, const struct link_config *c,
				      uint64_t now)
{
	struct probe_link *l = xzalloc(sizeof *l);
	uint32_t discr;

	/* Random, non-zero and ours alone (§6.8.1). */
	for (int i = 0;; i++) {
		discr = randombytes_random();
		if (discr && !link_by_discr(p, discr))
			break;
		if (i == 1000)
			onm_abort("no free BFD discriminator");
	}
	l->probe = p;
	l->id = xstrdup(id);
	l->peer = xstrdup(c->peer);
	l->peer_address = c->peer_address;
	bfd_session_init(&l->s, discr, c->interval_ms * 1000, c->detect_mult, !c->admin_up,
			 (uint64_t)randombytes_random() << 32 | randombytes_random(), now);
	l->timer = evtimer_new(p->base, on_link_timer, l);
	if (!l->timer)
		onm_abort("cannot create a BFD timer");
	hmap_insert(&p->links, &l->id_node, hash_string(l->id, 0));
	hmap_insert(&p->by_discr, &l->discr_node, hash_u32(discr));
	hmap_insert(&p->by_addr, &l->addr_node, hash_u32(l->peer_address));
	LOG_INFO("link %s to %s: probing every %u ms, multiplier %u%s", l->id, l->peer,
		 c->interval_ms, c->detect_mult, c->admin_up ? "" : " (administratively down)");
	return l;
}

static void link_apply(struct probe *p, const char *id, const struct link_config *c)
{
	struct probe_link *l = link_find(p, id);
	uint64_t now = time_usec();

	if (l && (l->peer_address != c->peer_address || strcmp(l->peer, c->peer))) {
		LOG_INFO("link %s: the peer changed; starting over", id);
		link_destroy(p, l);
		l = NULL;
	}
	if (!l)
		l = link_create(p, id, c, now);
	enum bfd_state old = l->s.state;
	if (c->interval_ms * 1000 != l->s.interval_us || c->detect_mult != l->s.detect_mult)
		bfd_session_set_params(&l->s, c->interval_ms * 1000, c->detect_mult, now);
	bfd_session_set_admin_down(&l->s, !c->admin_up, now);
	l->seen = p->generation;
	link_service(l, old);
}

static void self_apply(struct probe *p, const json_t *entries)
{
	const char *s =
	    json_string_value(json_object_get(json_object_get(entries, "self"), "address"));
	uint32_t addr = 0;

	if (!s || !ipv4_parse(s, &addr))
		LOG_WARN_RL("the view has no usable self.address: links are not probed");
	if (addr == p->self_address)
		return;
	sockets_close(p);
	event_del(p->retry);
	p->self_address = addr;
	p->bind_failed_logged = false;
	if (addr)
		sockets_open(p);
}

void probe_update(struct probe *p, const json_t *entries)
{
	const char *key;
	json_t *value;

	self_apply(p, entries);
	p->generation++;
	json_object_foreach((json_t *)entries, key, value)
	{
		struct link_config c;
		const char *err;

		if (!str_has_prefix(key, "link/"))
			continue;
		err = link_config_parse(value, &c);
		if (err) {
			LOG_WARN_RL("view entry %s: %s; the link is not probed", key, err);
			continue;
		}
		if (c.probe)
			link_apply(p, key + strlen("link/"), &c);
	}
	struct probe_link *l;
	HMAP_FOR_EACH_SAFE (l, id_node, &p->links) {
		if (l->seen == p->generation)
			continue;
		LOG_INFO("link %s to %s: no longer probed", l->id, l->peer);
		link_destroy(p, l);
	}
}

static int link_cmp(const void *a_, const void *b_)
{
	const struct probe_link *const *a = a_, *const *b = b_;
	return strcmp((*a)->id, (*b)->id);
}

json_t *probe_report(const struct probe *p)
{
	size_t n = hmap_count(&p->links), i = 0;
	struct probe_link **v = xcalloc(n ? n : 1, sizeof *v);
	json_t *links = json_array();
	struct probe_link *l;

	HMAP_FOR_EACH (l, id_node, &p->links)
		v[i++] = l;
	qsort(v, n, sizeof *v, link_cmp);
	for (i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "id", v[i]->id, "peer", v[i]->peer,
				      "state", bfd_state_name(v[i]->s.state));
		uint32_t x;

		if (!o)
			onm_abort("cannot build a link report");
		if (bfd_session_latency_us(&v[i]->s, &x))
			json_object_set_new(o, "latency_us", json_integer(x));
		if (bfd_session_loss_ppm(&v[i]->s, &x))
			json_object_set_new(o, "loss_ppm", json_integer(x));
		json_array_append_new(links, o);
	}
	free(v);
	return links;
}

uint64_t probe_drops(const struct probe *p, enum bfd_drop reason)
{
	return (unsigned int)reason < BFD_N_DROPS ? p->drops[reason] : 0;
}

const struct bfd_session *probe_session(const struct probe *p, const char *id)
{
	const struct probe_link *l = link_find(p, id);
	return l ? &l->s : NULL;
}
