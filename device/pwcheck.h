/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Password checks off the event loop. An argon2id check costs ~0.1 s of CPU
 * on purpose; on the controller's loop it would hold up the REST API, the
 * agents and every device session. A checker runs them on a thread of its
 * own, one at a time in order, and delivers each answer on the loop.
 *
 * Thread-safety: the functions are called on the loop's thread; the
 * callbacks run there too.
 */
#ifndef ONM_DEVICE_PWCHECK_H
#define ONM_DEVICE_PWCHECK_H

#include <stdbool.h>

struct event_base;
struct pw_checker;
struct pw_check;

typedef void pw_check_done_fn(void *aux, bool ok);

/* Starts the checker's thread. Returns NULL and sets '*error' (allocated)
 * if it cannot. */
struct pw_checker *pw_checker_create(struct event_base *, char **error);
/* Stops the thread (after the check it is in); answers not delivered yet
 * are dropped. NULL is fine. */
void pw_checker_destroy(struct pw_checker *);

/* Checks 'password' against argon2id 'hash' ("$argon2id$..."; both
 * copied); done(aux, ok) follows on the loop, never from within this call.
 * Returns the check, for pw_check_cancel(). */
struct pw_check *pw_check_start(struct pw_checker *, const char *hash, const char *password,
				pw_check_done_fn *done, void *aux);
/* The answer of 'check' is not wanted any more (its requester goes away):
 * 'done' will not be called. */
void pw_check_cancel(struct pw_check *check);

#endif /* ONM_DEVICE_PWCHECK_H */
