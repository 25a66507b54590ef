/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names that several programs must compute alike: the TAP device of an
 * instance (the agent creates it, the lab moves it into the instance's
 * namespace) and the lab's namespace names.
 */
#ifndef ONM_NAMING_H
#define ONM_NAMING_H

#include <net/if.h>

/* "onm" + 12 hex digits of a hash of 'instance_id' ("acme/blue/web1"). */
void port_name(const char *instance_id, char name[IFNAMSIZ]);

#endif /* ONM_NAMING_H */
