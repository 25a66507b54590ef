/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Link probing: the agent runs one BFD session (RFC 5880, asynchronous
 * mode, single hop per RFC 5881) over each substrate link of its host, to
 * the agent at the link's other end, and measures the link's round-trip
 * time and loss with BFD's own Poll/Final exchange. The controller gets
 * each link's state, latency and loss in the agent's report and reroutes
 * around links that go down.
 *
 * Two layers, so that the protocol is testable without sockets or clocks:
 *
 * - Pure (bfd_*): the 24-byte control packet (encode, and decode with every
 *   check of RFC 5880 §6.8.6 that does not need a session), and a session
 *   (struct bfd_session): the state machine Down/Init/Up/AdminDown, the
 *   transmit schedule with its jitter (§6.8.7), the detection timer
 *   (§6.8.4), and the statistics. A session is driven by calls that pass
 *   the time: bfd_session_input() with a received packet,
 *   bfd_session_run() for its timers, bfd_session_output() for what it has
 *   to send, bfd_session_deadline() for when to call again. It does no
 *   I/O, reads no clock and allocates nothing.
 *
 * - I/O (probe_*): a set of sessions made and removed as the host's view
 *   changes (its `link/A/B` entries), two UDP sockets on the host's
 *   underlay address (port 3784 to receive; one source port from
 *   49152..65535 to send, TTL 255) and a libevent timer per session, all on
 *   the control thread's event base.
 *
 * Protocol choices (docs/dataplane.md, "Link probing"):
 * - While a session is not Up it sends once a second (§6.8.3: Desired Min
 *   TX Interval of at least 1 s); Up, at the link's probe interval, each
 *   interval shortened by 0..25% at random (§6.8.7).
 * - A packet goes out at once when the session's state changes (as FRR's
 *   bfdd does), so that the peer learns of it without waiting a whole
 *   interval: bring-up takes one round trip, and a peer that can still
 *   hear us learns of a failure we detected right away.
 * - Latency: while Up, one Poll is outstanding at a time: P is set on a
 *   packet when none is outstanding; the peer answers every P at once with
 *   F (§6.5), and RTT = arrival of F - departure of P. A Poll without its
 *   Final after max(detection time, 1 s) counts as lost (the floor keeps
 *   links of long latency from reading as lossy). latency_us is half the
 *   median of the last PROBE_RTT_SAMPLES RTTs; loss_ppm the share of lost
 *   Polls among the last PROBE_LOSS_WINDOW whose fate is known.
 * - No authentication (packets with A are dropped), no Demand mode (the D
 *   bit received is recorded, never acted on: onm peers never set it), no
 *   Echo function (Required Min Echo RX Interval 0).
 *
 * Thread-safety: none; one thread (the control thread) uses a probe and
 * its sessions.
 */
#ifndef ONM_AGENT_PROBE_H
#define ONM_AGENT_PROBE_H

#include "onm/util.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_PORT 3784	       /* RFC 5881: single-hop control packets */
#define BFD_SRC_PORT_MIN 49152 /* RFC 5881 §4: source port range */
#define BFD_SRC_PORT_MAX 65535
#define BFD_TTL 255 /* sent with, and required on receipt (GTSM, RFC 5881 §5) */
#define BFD_VERSION 1
#define BFD_PACKET_SIZE 24     /* the mandatory section; we send no authentication */
#define BFD_SLOW_TX_US 1000000 /* Desired Min TX while not Up (RFC 5880 §6.8.3) */
#define BFD_NEVER UINT64_MAX   /* a timer that is not armed */

#define PROBE_INTERVAL_MS_DEFAULT 100 /* when a link entry does not say */
#define PROBE_DETECT_MULT_DEFAULT 3
#define PROBE_RTT_SAMPLES 16		  /* latency: median of this many RTTs */
#define PROBE_LOSS_WINDOW 64		  /* loss: over this many Polls */
#define PROBE_POLL_TIMEOUT_MIN_US 1000000 /* a Poll is lost after max(detection time, this) */

enum bfd_state {
	BFD_STATE_ADMIN_DOWN = 0,
	BFD_STATE_DOWN = 1,
	BFD_STATE_INIT = 2,
	BFD_STATE_UP = 3,
};

/* RFC 5880 §4.1 "Diag". */
enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_DETECT_EXPIRED = 1, /* Control Detection Time Expired */
	BFD_DIAG_ECHO_FAILED = 2,
	BFD_DIAG_NEIGHBOR_DOWN = 3, /* Neighbor Signaled Session Down */
	BFD_DIAG_FORWARDING_RESET = 4,
	BFD_DIAG_PATH_DOWN = 5,
	BFD_DIAG_CONCAT_PATH_DOWN = 6,
	BFD_DIAG_ADMIN_DOWN = 7,
	BFD_DIAG_REVERSE_CONCAT_PATH_DOWN = 8,
};

/* A control packet's fields (RFC 5880 §4.1), intervals in microseconds as
 * on the wire. */
struct bfd_packet {
	uint8_t diag;			  /* enum bfd_diag, 0..31 */
	enum bfd_state state;		  /* the sender's session state */
	bool poll;			  /* P: the sender asks for a Final */
	bool final;			  /* F: the answer to a Poll */
	bool cpi;			  /* C: control plane independent */
	bool auth;			  /* A: an authentication section follows */
	bool demand;			  /* D: the sender wants Demand mode */
	bool multipoint;		  /* M: reserved, must be 0 */
	uint8_t detect_mult;		  /* detection time multiplier */
	uint8_t length;			  /* bytes of the packet as the sender says */
	uint32_t my_discr;		  /* the sender's discriminator */
	uint32_t your_discr;		  /* the receiver's, as the sender knows it, or 0 */
	uint32_t desired_min_tx_us;	  /* the sender's transmit interval */
	uint32_t required_min_rx_us;	  /* the fastest the sender wants to receive */
	uint32_t required_min_echo_rx_us; /* 0: the sender takes no Echo packets */
};

/* Why a received packet was dropped. Each has a counter in the probe. */
enum bfd_drop {
	BFD_OK = 0,
	BFD_DROP_SHORT,	      /* fewer than 24 bytes */
	BFD_DROP_VERSION,     /* version is not 1 */
	BFD_DROP_LENGTH,      /* Length field below 24 or beyond the datagram */
	BFD_DROP_DETECT_MULT, /* Detect Mult is 0 */
	BFD_DROP_MULTIPOINT,  /* M is set */
	BFD_DROP_MY_DISCR,    /* My Discriminator is 0 */
	BFD_DROP_YOUR_DISCR,  /* Your Discriminator is 0 in state Init or Up */
	BFD_DROP_AUTH,	      /* A is set: we use no authentication */
	BFD_DROP_POLL_FINAL,  /* P and F both set (§6.8.7 forbids it) */
	BFD_DROP_TTL,	      /* received TTL is not 255 (GTSM) */
	BFD_DROP_NO_SESSION,  /* no session has that discriminator or source */
	BFD_DROP_ADMIN_DOWN,  /* our session is AdminDown (§6.8.6) */
	BFD_N_DROPS
};

/* "short", "version", ... : for logs and counters. */
const char *bfd_drop_name(enum bfd_drop);
/* "admin_down", "down", "init", "up". */
const char *bfd_state_name(enum bfd_state);

/* Writes 'p' as a control packet of BFD_PACKET_SIZE bytes (version 1,
 * Length 24; 'p->length' is ignored). */
void bfd_packet_encode(const struct bfd_packet *p, uint8_t buf[BFD_PACKET_SIZE]);

/* Decodes the datagram 'data' of 'size' bytes into '*p' and checks it as
 * RFC 5880 §6.8.6 says (all but the checks that need a session). Returns
 * BFD_OK or why the packet must be dropped ('*p' is then unspecified). */
enum bfd_drop bfd_packet_decode(const uint8_t *data, size_t size, struct bfd_packet *p);

/* One BFD session: RFC 5880's state variables (§6.8.1), its timers as
 * absolute times in microseconds on the caller's monotonic clock
 * (BFD_NEVER when not armed), and the link's statistics. Embedded by the
 * caller; members are read by tests and the I/O layer, written only by the
 * bfd_session_* functions. */
struct bfd_session {
	enum bfd_state state;	     /* bfd.SessionState */
	enum bfd_state remote_state; /* bfd.RemoteSessionState */
	uint32_t local_discr;	     /* bfd.LocalDiscr, non-zero */
	uint32_t remote_discr;	     /* bfd.RemoteDiscr, 0 until learned */
	enum bfd_diag local_diag;    /* bfd.LocalDiag */
	uint32_t interval_us;	     /* configured: Desired Min TX when Up, Required Min RX */
	uint8_t detect_mult;	     /* bfd.DetectMult */
	uint32_t remote_min_rx_us;   /* bfd.RemoteMinRxInterval */
	uint32_t remote_min_tx_us;   /* the peer's last Desired Min TX Interval */
	uint8_t remote_detect_mult;  /* the peer's last Detect Mult */
	bool remote_demand;	     /* bfd.RemoteDemandMode (recorded only) */

	uint64_t last_tx_us; /* when the last packet but Finals went out, BFD_NEVER if none */
	uint64_t next_tx_us; /* when the next periodic packet is due */
	uint64_t detect_us;  /* detection timer: no packet by then means the peer is gone */
	uint64_t admin_tx_until_us; /* AdminDown: packets stop after this */
	bool send_now;		    /* the state changed: a packet goes out at once */
	bool final_due;		    /* a Poll arrived: a Final goes out at once */
	uint64_t prng;		    /* jitter's random state (xorshift64*), non-zero */

	uint64_t poll_sent_us; /* the outstanding Poll's departure, BFD_NEVER if none */
	uint32_t rtt_us[PROBE_RTT_SAMPLES]; /* ring of the last RTTs */
	unsigned int n_rtt;		    /* valid entries of 'rtt_us' */
	unsigned int rtt_next;		    /* where the next RTT goes */
	uint64_t loss_bits;		    /* ring of Poll fates: bit set = lost */
	unsigned int n_loss;		    /* valid bits of 'loss_bits' */
	unsigned int loss_next;		    /* where the next fate goes */
	uint64_t polls_sent;		    /* since the session began */
	uint64_t polls_lost;		    /* since the session began */
	uint64_t tx_packets;		    /* since the session began, Finals included */
	uint64_t rx_packets;		    /* accepted, since the session began */
};

/* Starts the session in state Down (or AdminDown if 'admin_down': then it
 * sends nothing) with discriminator 'local_discr' (non-zero), interval
 * 'interval_us' (> 0) and multiplier 'detect_mult' (> 0); 'seed' seeds the
 * jitter. The first packet is due at once. */
void bfd_session_init(struct bfd_session *, uint32_t local_discr, uint32_t interval_us,
		      uint8_t detect_mult, bool admin_down, uint64_t seed, uint64_t now_us);

/* Changes the interval and multiplier (a link entry changed). */
void bfd_session_set_params(struct bfd_session *, uint32_t interval_us, uint8_t detect_mult,
			    uint64_t now_us);

/* Takes the session administratively down (it says so to the peer for a
 * detection time, then falls silent, RFC 5880 §6.8.16) or back up (to
 * Down, from where it comes up again). */
void bfd_session_set_admin_down(struct bfd_session *, bool down, uint64_t now_us);

/* Handles a packet decoded by bfd_packet_decode() and addressed to this
 * session (RFC 5880 §6.8.6). Returns BFD_OK or why it was dropped. */
enum bfd_drop bfd_session_input(struct bfd_session *, const struct bfd_packet *, uint64_t now_us);

/* Runs the timers due by 'now_us': detection (Init or Up go Down) and the
 * outstanding Poll's timeout. */
void bfd_session_run(struct bfd_session *, uint64_t now_us);

/* If a packet is due by 'now_us', writes it to '*p' and returns true; call
 * again until it returns false (at most two: a Final and a periodic one). */
bool bfd_session_output(struct bfd_session *, uint64_t now_us, struct bfd_packet *p);

/* When the session next needs bfd_session_run() and bfd_session_output()
 * (may be in the past: at once), or BFD_NEVER. */
uint64_t bfd_session_deadline(const struct bfd_session *);

/* The detection time, microseconds: the peer's Detect Mult times the
 * larger of our Required Min RX and its Desired Min TX (§6.8.4). */
uint64_t bfd_session_detect_time_us(const struct bfd_session *);

/* Half the median of the last RTTs. False while there is none. */
bool bfd_session_latency_us(const struct bfd_session *, uint32_t *latency_us);

/* Lost Polls per million of the last ones whose fate is known. False
 * while there is none. */
bool bfd_session_loss_ppm(const struct bfd_session *, uint32_t *loss_ppm);

/* The I/O layer. */

struct probe;

/* Called when a session comes Up or leaves Up, with the link's id. */
typedef void probe_change_fn(void *aux, const char *link_id, enum bfd_state old_state,
			     enum bfd_state new_state);

/* Creates a probe on 'base' with no sessions and no sockets yet (they come
 * with the first view: probe_update()). 'port' is the port to listen on
 * and send to, 0 for BFD_PORT (tests give others). 'on_change' (may be
 * NULL) is called with 'aux' as sessions go up and down. */
struct probe *probe_create(struct event_base *base, uint16_t port, probe_change_fn *on_change,
			   void *aux);

/* Closes the sockets, stops the timers and frees 'probe' (the peers time
 * out). Accepts NULL. */
void probe_destroy(struct probe *);

/* Brings the sessions in line with the view 'entries' (borrowed): binds to
 * the address of its `self` entry (again, if it changed) and keeps one
 * session per `link/A/B` entry with "probe": true, made and removed as the
 * entries come and go, AdminDown while "admin_up" is false. Bad entries
 * are logged and skipped. */
void probe_update(struct probe *, const json_t *entries);

/* The report's "links": [{"id", "peer", "state", "latency_us" (once there
 * is an RTT), "loss_ppm" (once a Poll's fate is known)}], sorted by id. A
 * new reference. */
json_t *probe_report(const struct probe *);

/* Packets dropped for 'reason' since the probe was made. */
uint64_t probe_drops(const struct probe *, enum bfd_drop reason);

/* The session of link 'id', or NULL. */
const struct bfd_session *probe_session(const struct probe *, const char *id);

#endif /* ONM_AGENT_PROBE_H */
