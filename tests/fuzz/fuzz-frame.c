// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the agent's packet path (agent/pipeline.c and the
 * parsers under it: lib/packet.c, agent/dhcp.c). The first input byte
 * chooses the entry point — even: a frame from port (byte >> 1) mod the
 * number of ports; odd: a UDP payload from the underlay (a VXLAN header,
 * then a frame) with outer DSCP (byte >> 1) & 63 and, by the top bit, one
 * of two outer source ports — and the rest is the packet, run against the
 * fixed view of tests/dp-fixture.h. One dp_ctx lives across inputs, so
 * conntrack state and time (advanced per input) are exercised too. Checks:
 * the packet stays inside its buffer, verdicts and reasons are valid, a
 * packet for the underlay starts with a valid VXLAN header whose flags
 * byte holds W at most, with a class's DSCP or 0, and plain VXLAN (no
 * flags, DSCP 0) when its destination id is 0; a reply or forwarded frame
 * to a port is at least an Ethernet header. Seeds: tests/fuzz/corpus/frame/
 * (the first byte of each says its entry point: 0x5d is platinum's DSCP
 * 46 from the underlay, 0x01 plain VXLAN).
 */
#include "../dp-fixture.h"
#include "pipeline.h"
#include "tables-private.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PACKET 9216

static struct dp_counters_registry *reg;
static struct dp_tables *tables;
static struct dp_ctx *ctx;
static uint64_t now_us = 1000000;
static uint8_t storage[DP_BUF_HEADROOM + MAX_PACKET + 1024];

static void init(void)
{
	json_t *view = dp_fixture_view();
	char *err;

	reg = dp_counters_registry_create();
	err = dp_tables_build(view, reg, &tables);
	if (err) {
		fprintf(stderr, "fixture view: %s\n", err);
		abort();
	}
	json_decref(view);
	ctx = dp_ctx_create(reg, 0, 4096);
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-frame: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_action a;
	struct dp_buf b;
	uint32_t vni;
	uint8_t flags;
	uint16_t dst;

	if (!reg)
		init();
	if (size < 1 || size - 1 > MAX_PACKET)
		return 0;
	now_us += 250000; /* a quarter second per packet: flows expire within the run */
	dp_ctx_set_time(ctx, now_us);

	dp_buf_init(&b, storage, sizeof storage);
	memcpy(b.data, data + 1, size - 1);
	b.len = size - 1;
	if (data[0] & 1) {
		const struct dp_outer outer = {
		    .src_addr = FX_H3,
		    .src_port = data[0] & 0x80 ? 49152 + 7 : 50000,
		    .dscp = (data[0] >> 1) & 63,
		};
		dp_from_underlay(ctx, tables, &outer, &b, &a);
	} else {
		dp_from_port(ctx, tables, (uint32_t)(data[0] >> 1) % dp_tables_n_ports(tables), &b,
			     &a);
	}

	check(b.data >= b.head && b.data + b.len <= b.head + b.size, "packet outside its buffer");
	switch (a.verdict) {
	case DP_DROP:
		check(a.reason < DP_DROP_N_REASONS, "bad drop reason");
		break;
	case DP_TO_PORT:
		check(a.port < dp_tables_n_ports(tables), "bad port");
		check(b.len >= ETH_HEADER_LEN, "frame to a port shorter than Ethernet");
		break;
	case DP_TO_UNDERLAY:
		check(packet_parse_vxlan(b.data, b.len, &vni, &flags, &dst),
		      "invalid VXLAN packet to the underlay");
		check(!(flags & ~VXLAN_ONM_W), "flags other than W to the underlay");
		check(a.dscp < 64 && (!a.dscp || tables->dscp_class[a.dscp] != DP_CLASS_NONE),
		      "DSCP of no class to the underlay");
		check(dst || (!flags && !a.dscp), "destination id 0 without plain VXLAN");
		check(a.udp_src_port >= 49152, "outer source port out of range");
		check(a.next_hop != 0, "no next hop");
		break;
	case DP_TO_LOCAL:
		check(b.len >= ETH_HEADER_LEN, "frame for the router shorter than Ethernet");
		check(dp_map_find(&tables->vni_map, a.vni) != DP_NONE,
		      "frame for the router of no VN");
		break;
	default:
		check(false, "bad verdict");
	}
	return 0;
}
