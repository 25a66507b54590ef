// SPDX-License-Identifier: Apache-2.0
/*
 * `clear counters`: what each cleared interface had counted when it was
 * cleared, so that `show interfaces` prints what came since (as IOS does;
 * SNMP's counters, like IOS's, are never cleared). The agents keep
 * counting across a controller restart, so the baselines are kept in the
 * store too, one key per router (CLEARED_PREFIX + id):
 * {IFNAME: {"at": UNIX_MS, "rx_packets": N, "rx_bytes": N, "tx_packets": N,
 *           "tx_bytes": N, "drops": N}, ...}.
 */
#include "onm/log.h"
#include "onm/model.h"
#include "onm/store.h"
#include "onm/util.h"
#include "router-view.h"
#include "service-private.h"
#include "state.h"

#include <errno.h>
#include <string.h>

#undef LOG_MODULE
#define LOG_MODULE "devices"

static const char *const fields[] = {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "drops"};

/* The counters of 'ifc' in the order of 'fields'. */
static uint64_t *field_of(struct rv_interface *ifc, size_t k)
{
	uint64_t *const p[] = {&ifc->rx_packets, &ifc->rx_bytes, &ifc->tx_packets,
			       &ifc->tx_bytes, &ifc->drops};
	return p[k];
}

static int router_save(struct dev_service *svc, const char *router_id, const json_t *ifs)
{
	char *key = xasprintf(CLEARED_PREFIX "%s", router_id);
	char *text = json_dumps(ifs, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = store_put(ctl_state_store(svc->state), key, text, strlen(text), NULL);

	free(text);
	free(key);
	return rc;
}

int dev_counters_clear(struct dev_service *svc, const char *router_id,
		       const struct router_view *v, const char *ifname, char **error)
{
	json_t *ifs = json_deep_copy(json_object_get(svc->cleared, router_id));
	uint64_t now = dev_service_now_ms(svc);
	int rc;

	if (!ifs)
		ifs = json_object();
	for (size_t i = 0; i < v->n_ifs; i++) {
		struct rv_interface ifc = v->ifs[i];
		json_t *base;

		if (ifname && strcmp(ifname, ifc.name))
			continue;
		base = json_pack("{s:I}", "at", (json_int_t)now);
		for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
			json_object_set_new(base, fields[k], json_integer((json_int_t)*field_of(&ifc, k)));
		json_object_set_new(ifs, ifc.name, base);
	}
	rc = router_save(svc, router_id, ifs);
	if (rc) {
		*error = xasprintf("cannot keep the cleared counters: %s", strerror(-rc));
		json_decref(ifs);
		return rc;
	}
	json_object_set_new(svc->cleared, router_id, ifs);
	return 0;
}

uint64_t dev_counters_since_clear(const struct dev_service *svc, const char *router_id,
				  struct rv_interface *ifc)
{
	const json_t *base = json_object_get(json_object_get(svc->cleared, router_id), ifc->name);

	if (!base)
		return 0;
	for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
		uint64_t *x = field_of(ifc, k);
		uint64_t b = (uint64_t)json_integer_value(json_object_get(base, fields[k]));

		/* Less than at the clearing: an agent restarted and counts
		 * from 0 again; what it counted since is not known. */
		*x = *x >= b ? *x - b : 0;
	}
	return (uint64_t)json_integer_value(json_object_get(base, "at"));
}

/* Forgets (and deletes from the store) the routers the model no longer
 * has. */
void dev_counters_prune(struct dev_service *svc)
{
	const char *id;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (svc->cleared, tmp, id, v) {
		char *key;
		int rc;

		if (model_find(dev_service_model(svc), MODEL_ROUTER, id))
			continue;
		key = xasprintf(CLEARED_PREFIX "%s", id);
		rc = store_delete(ctl_state_store(svc->state), key, NULL);
		if (rc && rc != -ENOENT)
			LOG_WARN_RL("cannot delete %s: %s", key, strerror(-rc));
		free(key);
		json_object_del(svc->cleared, id);
	}
}

void dev_counters_restore(struct dev_service *svc)
{
	struct store_kv *kvs;
	size_t n;
	int rc = store_list(ctl_state_store(svc->state), CLEARED_PREFIX, &kvs, &n);

	if (rc) {
		LOG_WARN("cannot read the cleared counters: %s", strerror(-rc));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *ifs = json_loadb(kvs[i].value, kvs[i].value_len, 0, NULL);

		if (json_is_object(ifs))
			json_object_set_new(svc->cleared, kvs[i].key + strlen(CLEARED_PREFIX), ifs);
		else
			json_decref(ifs);
	}
	store_kvs_free(kvs, n);
	dev_counters_prune(svc);
}
