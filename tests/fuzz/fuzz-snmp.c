// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the SNMP agent's dispatcher (device/snmp.c,
 * dev_snmp_handle) over a fixed model: tenants with communities, a router
 * with interfaces in every state, one with a few hundred routes. The first
 * byte picks the form of the rest:
 *
 *   even: a whole SNMP message in BER, parsed by net-snmp as its session
 *         layer parses what the agent's socket receives (v1 and v2c; a v3
 *         message is USM's, in net-snmp, before the dispatcher sees it);
 *   odd:  a request described compactly, so that the fuzzer reaches deep
 *         without learning BER: command, version, community (from a list
 *         or raw bytes), for v3 the security model, level, user and context
 *         (as USM hands them over), GETBULK's counts, then varbinds, each an
 *         OID (a prefix from a list and sub-identifiers) and, for sets, a
 *         value.
 *
 * A v1/v2c response is built into BER as it would be sent (a v3 one needs
 * USM's state of the request: device-snmp.sh sends those). Checks: a
 * GET or GETNEXT answered without error has one varbind per request
 * varbind; each GETNEXT name is after the one asked for; a set's router
 * JSON always parses (the hook validates it and commits nothing, so the
 * model stays fixed). Seeds: tests/fuzz/corpus/snmp/.
 */
/* net-snmp-config.h must come first. */
/* clang-format off */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#undef LOG_ERR
#undef LOG_INFO
/* clang-format on */

#include "onm/codec.h"
#include "onm/log.h"
#include "onm/util.h"
#include "snmp-private.h"
#include "state.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char topology[] =
    "substrate:\n"
    "  hosts: [{name: h1}]\n"
    "tenants:\n"
    "  - name: acme\n"
    "    snmp: {ro_community: public, rw_community: private}\n"
    "    users:\n"
    "      - {name: ann, role: admin, password: maplesyrup, snmpv3: true}\n"
    "      - {name: vic, role: viewer, password: vic-password, snmpv3: true}\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets: [{name: web, cidr: 10.1.1.0/24}, {name: db, cidr: 10.1.2.0/24},\n"
    "                  {name: lo, cidr: 192.0.2.0/30}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces:\n"
    "              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}\n"
    "              - {name: GigabitEthernet0/1, subnet: db, ip: 10.1.2.1, shutdown: true}\n"
    "              - {name: Loopback0, subnet: lo, ip: 192.0.2.1, description: loop}\n"
    "            routes:\n"
    "              - {prefix: 0.0.0.0/0, via: 10.1.1.254}\n"
    "              - {prefix: 10.9.0.0/16, via: 10.1.2.20}\n"
    "  - name: initech\n"
    "    snmp: {ro_community: public}\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets: [{name: a, cidr: 10.7.0.0/24}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces: [{name: e0, subnet: a, ip: 10.7.0.1}]\n";

static struct dev_snmp *snmp;

/* Sets are checked, never committed: the model stays what it was. */
static int check_update(void *aux, const char *router_id, const json_t *router, char **error)
{
	char *text = json_dumps(router, JSON_COMPACT), *err;
	struct model_object *obj;

	err = codec_object_parse_json(MODEL_ROUTER, text, strlen(text), "set", &obj);
	if (err) {
		fprintf(stderr, "a set made a router that does not parse: %s\n%s\n", err, text);
		abort();
	}
	model_object_destroy(obj);
	free(text);
	return 0;
}

static void init(void)
{
	static const struct dev_snmp_hooks hooks = {.router_update = check_update};
	struct model_diff plan = {0};
	struct ctl_state *state;
	json_t *big;
	uint64_t revision;
	char *error = NULL, *text;

	log_set_level(LOG_LEVEL_ERR);
	if (ctl_state_open("memory:", &state, &error) ||
	    ctl_state_apply(state, topology, strlen(topology), "fuzz.yaml", false, false, &plan,
			    &revision, &error))
		onm_abort("fuzz-snmp: %s", error);
	model_diff_destroy(&plan);
	big = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}], s:[]}", "tenant", "acme", "network",
			"blue", "name", "big", "interfaces", "name", "e0", "subnet", "web", "ip",
			"10.1.1.2", "routes");
	for (int i = 0; i < 300; i++) {
		char prefix[32];

		snprintf(prefix, sizeof prefix, "20.%d.%d.0/24", i / 256, i % 256);
		json_array_append_new(json_object_get(big, "routes"),
				      json_pack("{s:s, s:s}", "prefix", prefix, "via", "10.1.1.9"));
	}
	text = json_dumps(big, JSON_COMPACT);
	if (ctl_state_create(state, MODEL_ROUTER, text, strlen(text), NULL, &error))
		onm_abort("fuzz-snmp: %s", error);
	free(text);
	json_decref(big);
	snmp = dev_snmp_create(NULL, state, NULL, NULL, NULL, &hooks, &error);
	if (!snmp)
		onm_abort("fuzz-snmp: %s", error);
	dev_snmp_set_test_clock(snmp, 1000000);
	/* The state and the agent live as long as the process. */
}

/* A cursor over the input. */
struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t word(struct in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | byte(in);
	return v;
}

static const char *const communities[] = {
    "public@blue/r1",
    "public@acme/blue/r1",
    "private@blue/r1",
    "private@acme/blue/big",
    "public@blue/big",
    "public@initech/blue/r1",
    "nope@blue/r1",
    "public@",
    "public",
    "@blue/r1",
    "private@acme/blue/r1/x",
};

static const char *const prefixes[] = {
    "",
    "1.3",
    "1.3.6.1.2.1.1",
    "1.3.6.1.2.1.1.3.0",
    "1.3.6.1.2.1.2.1.0",
    "1.3.6.1.2.1.2.2.1",
    "1.3.6.1.2.1.2.2.1.7",
    "1.3.6.1.2.1.4.20.1",
    "1.3.6.1.2.1.4.24.7.1",
    "1.3.6.1.2.1.4.24.7.1.7.1.4",
    "1.3.6.1.2.1.4.34.1.3.1.4",
    "1.3.6.1.2.1.31.1.1.1",
    "1.3.6.1.2.1.31.1.1.1.6",
    "1.3.6.1.4.1",
};

static size_t oid_parse(const char *s, oid *o)
{
	size_t n = 0;

	while (*s && n < MAX_OID_LEN) {
		char *end;

		o[n++] = strtoul(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
	}
	return n;
}

/* The compact form of a request (see the header comment). */
static netsnmp_pdu *structured(struct in *in)
{
	static const int commands[] = {SNMP_MSG_GET, SNMP_MSG_GETNEXT, SNMP_MSG_GETBULK,
				       SNMP_MSG_SET, SNMP_MSG_TRAP2,   SNMP_MSG_RESPONSE};
	static const long versions[] = {SNMP_VERSION_1, SNMP_VERSION_2c, SNMP_VERSION_3};
	netsnmp_pdu *pdu = snmp_pdu_create(commands[byte(in) % ARRAY_SIZE(commands)]);
	unsigned c = byte(in);

	pdu->version = versions[byte(in) % ARRAY_SIZE(versions)];
	if (c < 0xf0) {
		const char *s = communities[c % ARRAY_SIZE(communities)];

		pdu->community = (u_char *)xstrdup(s);
		pdu->community_len = strlen(s);
	} else {
		size_t len = byte(in) % 96;

		pdu->community = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			pdu->community[i] = (u_char)byte(in);
		pdu->community_len = len;
	}
	if (pdu->version == SNMP_VERSION_3) {
		static const char *const users[] = {"ann@acme", "vic@acme", "bob@acme",
						    "ann@initech", "ann", "@acme", ""};
		static const char *const contexts[] = {"blue/r1", "acme/blue/r1", "blue/big",
						       "initech/blue/r1", "blue", "", "a/b/c/d"};
		const char *user = users[byte(in) % ARRAY_SIZE(users)];
		const char *context = contexts[byte(in) % ARRAY_SIZE(contexts)];
		unsigned sec = byte(in);

		pdu->securityModel = sec & 0x80 ? (int)(sec & 7) : SNMP_SEC_MODEL_USM;
		pdu->securityLevel = (int)(sec % 4);
		pdu->securityName = xstrdup(user);
		pdu->securityNameLen = strlen(user);
		if (sec & 0x40) {
			pdu->contextName = xstrdup(context);
			pdu->contextNameLen = strlen(context);
		}
	}
	pdu->errstat = (long)(int8_t)byte(in);	/* GETBULK: non-repeaters */
	pdu->errindex = (long)(int8_t)byte(in); /* max-repetitions */
	for (int k = 0; k < 24 && in->n; k++) {
		oid name[MAX_OID_LEN];
		size_t len = oid_parse(prefixes[byte(in) % ARRAY_SIZE(prefixes)], name);
		unsigned extra = byte(in) % 24, type = byte(in);
		long i32;
		struct counter64 c64;
		uint8_t str[64];

		for (unsigned e = 0; e < extra && len < MAX_OID_LEN; e++) {
			unsigned b = byte(in);

			name[len++] = b & 0x80 ? word(in) : b;
		}
		switch (pdu->command == SNMP_MSG_SET ? type % 5 : 4) {
		case 0:
			i32 = (long)(int32_t)word(in);
			snmp_pdu_add_variable(pdu, name, len, ASN_INTEGER, &i32, sizeof i32);
			break;
		case 1:
			i32 = byte(in) % 4;
			snmp_pdu_add_variable(pdu, name, len, ASN_INTEGER, &i32, sizeof i32);
			break;
		case 2:
			for (size_t i = 0; i < sizeof str; i++)
				str[i] = (uint8_t)byte(in);
			snmp_pdu_add_variable(pdu, name, len, ASN_OCTET_STR, str,
					      byte(in) % sizeof str);
			break;
		case 3:
			c64.high = word(in);
			c64.low = word(in);
			snmp_pdu_add_variable(pdu, name, len, ASN_COUNTER64, &c64, sizeof c64);
			break;
		default:
			snmp_add_null_var(pdu, name, len);
			break;
		}
	}
	return pdu;
}

/* A BER message, parsed as the agent's session parses it. NULL if it does
 * not parse or is not v1/v2c. */
static netsnmp_pdu *raw(const uint8_t *data, size_t size)
{
	u_char community[COMMUNITY_MAX_LEN];
	size_t len = size, clen = sizeof community;
	long version = -1;
	netsnmp_session sess;
	netsnmp_pdu *pdu;

	if (!snmp_comstr_parse((u_char *)data, &len, community, &clen, &version) ||
	    (version != SNMP_VERSION_1 && version != SNMP_VERSION_2c))
		return NULL;
	snmp_sess_init(&sess);
	sess.version = SNMP_DEFAULT_VERSION;
	pdu = snmp_pdu_create(0);
	if (snmp_parse(NULL, &sess, pdu, (u_char *)data, size)) {
		snmp_free_pdu(pdu);
		return NULL;
	}
	return pdu;
}

static size_t count(const netsnmp_variable_list *v)
{
	size_t n = 0;

	for (; v; v = v->next_variable)
		n++;
	return n;
}

static void check(const netsnmp_pdu *req, const netsnmp_pdu *resp)
{
	const netsnmp_variable_list *a, *b;
	netsnmp_session sess;
	u_char *buf;
	size_t len = 4096, off = 0;

	if (resp->command != SNMP_MSG_RESPONSE || resp->reqid != req->reqid)
		abort();
	if ((req->command == SNMP_MSG_GET || req->command == SNMP_MSG_GETNEXT) && !resp->errstat &&
	    count(resp->variables) != count(req->variables)) {
		fprintf(stderr, "%zu varbinds answered with %zu\n", count(req->variables),
			count(resp->variables));
		abort();
	}
	if (req->command == SNMP_MSG_GETNEXT && !resp->errstat) {
		for (a = req->variables, b = resp->variables; a && b;
		     a = a->next_variable, b = b->next_variable) {
			if (b->type != SNMP_ENDOFMIBVIEW &&
			    snmp_oid_compare(b->name, b->name_length, a->name, a->name_length) <=
				0) {
				fprintf(stderr, "GETNEXT went backwards\n");
				abort();
			}
		}
	}
	/* Encode it as it would be sent. */
	if (resp->version == SNMP_VERSION_3)
		return;
	snmp_sess_init(&sess);
	sess.version = resp->version;
	buf = xmalloc(len);
	snmp_build(&buf, &len, &off, &sess, (netsnmp_pdu *)resp);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data + 1, size ? size - 1 : 0};
	netsnmp_pdu *req, *resp;

	if (!snmp)
		init();
	if (size < 1)
		return 0;
	req = data[0] & 1 ? structured(&in) : raw(data + 1, size - 1);
	if (!req)
		return 0;
	resp = dev_snmp_handle(snmp, req, "127.0.0.1:1");
	if (resp) {
		check(req, resp);
		snmp_free_pdu(resp);
	}
	snmp_free_pdu(req);
	return 0;
}
