// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for link probing's BFD control packets (agent/probe.h):
 * what arrives on UDP port 3784 is untrusted. Each input is a datagram for
 * the decoder; one it accepts must survive encode and decode unchanged
 * (but for Length, which the encoder sets), and is then fed to a session
 * with the clock moved on by the input's last byte, whose output must
 * stay valid: never P and F together, always decodable, timers that move
 * forward.
 */
#include "probe.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-bfd: %s\n", what);
		abort();
	}
}

static void check_round_trip(const struct bfd_packet *p)
{
	uint8_t buf[BFD_PACKET_SIZE];
	struct bfd_packet q;

	bfd_packet_encode(p, buf);
	check(bfd_packet_decode(buf, sizeof buf, &q) == BFD_OK, "re-encoded packet refused");
	check(q.diag == p->diag && q.state == p->state && q.poll == p->poll &&
		  q.final == p->final && q.cpi == p->cpi && q.demand == p->demand &&
		  q.detect_mult == p->detect_mult && q.my_discr == p->my_discr &&
		  q.your_discr == p->your_discr && q.desired_min_tx_us == p->desired_min_tx_us &&
		  q.required_min_rx_us == p->required_min_rx_us &&
		  q.required_min_echo_rx_us == p->required_min_echo_rx_us,
	      "round trip changed the packet");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_packet p, out;
	struct bfd_session s;
	uint64_t now = 1000000000;

	if (bfd_packet_decode(data, size, &p) != BFD_OK)
		return 0;
	check(p.length >= BFD_PACKET_SIZE && p.length <= size, "accepted a bad Length");
	check(p.detect_mult && p.my_discr && !p.multipoint && !p.auth && !(p.poll && p.final),
	      "accepted a packet §6.8.6 refuses");
	check_round_trip(&p);

	/* A session that knows the packet's Your Discriminator (or none). */
	bfd_session_init(&s, p.your_discr ? p.your_discr : 1, 100000, 3, false, 1, now);
	while (bfd_session_output(&s, now, &out))
		;
	(void)bfd_session_input(&s, &p, now);
	/* Then time passes, in steps of up to a second the input picks. */
	uint64_t step = 1 + (uint64_t)(size ? data[size - 1] : 0) * 4000;
	for (int i = 0; i < 64; i++) {
		int n = 0;

		bfd_session_run(&s, now);
		while (bfd_session_output(&s, now, &out)) {
			uint8_t buf[BFD_PACKET_SIZE];
			struct bfd_packet q;

			check(++n <= 2, "more than two packets at once");
			check(!(out.poll && out.final), "sent P and F together");
			bfd_packet_encode(&out, buf);
			check(bfd_packet_decode(buf, sizeof buf, &q) == BFD_OK,
			      "sent a packet the decoder refuses");
		}
		uint64_t next = bfd_session_deadline(&s);
		check(next > now, "a deadline that does not move on");
		now += step;
		if (s.state == BFD_STATE_ADMIN_DOWN || s.state > BFD_STATE_UP)
			check(false, "a state the session cannot reach");
	}
	uint32_t v;
	if (bfd_session_loss_ppm(&s, &v))
		check(v <= 1000000, "loss above a million ppm");
	(void)bfd_session_latency_us(&s, &v);
	return 0;
}
