// SPDX-License-Identifier: Apache-2.0
/*
 * Names shared by the agent and the lab (see naming.h).
 */
#include "onm/naming.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void port_name(const char *instance_id, char name[IFNAMSIZ])
{
	/* 64-bit FNV-1a: 48 of its bits make collisions between the ports of
	 * one host (at most thousands) vanishingly unlikely. */
	uint64_t hash = 14695981039346656037ull;
	for (const char *p = instance_id; *p; p++) {
		hash ^= (unsigned char)*p;
		hash *= 1099511628211ull;
	}
	snprintf(name, IFNAMSIZ, "onm%012llx", (unsigned long long)(hash >> 16));
}
