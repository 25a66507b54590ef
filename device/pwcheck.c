// SPDX-License-Identifier: Apache-2.0
/*
 * Password checks off the event loop (see pwcheck.h): a queue of checks for
 * one thread, and a pipe back to the loop for the answers.
 */
#define LOG_MODULE "devices"

#include "pwcheck.h"

#include "onm/log.h"
#include "onm/util.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pw_check {
	struct pw_check *next;
	char *hash, *password;
	bool ok;
	pw_check_done_fn *done; /* NULL once cancelled (the loop's thread only) */
	void *aux;
};

struct pw_checker {
	struct event *wake_event; /* on wake[0] */
	int wake[2];		  /* the thread writes a byte per answer */
	pthread_t thread;
	bool started;
	pthread_mutex_t mutex; /* guards what follows */
	pthread_cond_t cond;
	struct pw_check *waiting, **waiting_tail; /* not checked yet, in order */
	struct pw_check *answered;	    /* answered, not delivered (any order) */
	bool stop;
};

static void check_free(struct pw_check *c)
{
	sodium_memzero(c->password, strlen(c->password));
	free(c->password);
	free(c->hash);
	free(c);
}

static void list_free(struct pw_check *c)
{
	while (c) {
		struct pw_check *next = c->next;

		check_free(c);
		c = next;
	}
}

static void *checker_main(void *pc_)
{
	struct pw_checker *pc = pc_;

	pthread_mutex_lock(&pc->mutex);
	for (;;) {
		struct pw_check *c;

		while (!pc->waiting && !pc->stop)
			pthread_cond_wait(&pc->cond, &pc->mutex);
		if (pc->stop)
			break;
		c = pc->waiting;
		pc->waiting = c->next;
		if (!pc->waiting)
			pc->waiting_tail = &pc->waiting;
		pthread_mutex_unlock(&pc->mutex);
		c->ok = !crypto_pwhash_str_verify(c->hash, c->password, strlen(c->password));
		pthread_mutex_lock(&pc->mutex);
		c->next = pc->answered;
		pc->answered = c;
		if (write(pc->wake[1], "", 1) < 0 && errno != EAGAIN)
			LOG_WARN_RL("password checks: wake pipe: %s", strerror(errno));
	}
	pthread_mutex_unlock(&pc->mutex);
	return NULL;
}

/* The loop's side: the answers, each to its requester. */
static void on_wake(evutil_socket_t fd, short what, void *pc_)
{
	struct pw_checker *pc = pc_;
	struct pw_check *list, *rev = NULL;
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		continue;
	pthread_mutex_lock(&pc->mutex);
	list = pc->answered;
	pc->answered = NULL;
	pthread_mutex_unlock(&pc->mutex);
	while (list) { /* back into the order they were answered */
		struct pw_check *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct pw_check *c = rev;

		rev = c->next;
		if (c->done)
			c->done(c->aux, c->ok);
		check_free(c);
	}
}

struct pw_checker *pw_checker_create(struct event_base *base, char **error)
{
	struct pw_checker *pc = xzalloc(sizeof *pc);
	int rc;

	*error = NULL;
	pc->wake[0] = pc->wake[1] = -1;
	pc->waiting_tail = &pc->waiting;
	pthread_mutex_init(&pc->mutex, NULL);
	pthread_cond_init(&pc->cond, NULL);
	if (sodium_init() < 0) {
		*error = xasprintf("libsodium cannot start");
		goto error;
	}
	if (pipe2(pc->wake, O_NONBLOCK | O_CLOEXEC)) {
		*error = xasprintf("cannot create a pipe: %s", strerror(errno));
		goto error;
	}
	pc->wake_event = event_new(base, pc->wake[0], EV_READ | EV_PERSIST, on_wake, pc);
	if (!pc->wake_event || event_add(pc->wake_event, NULL)) {
		*error = xasprintf("cannot watch the password checks' pipe");
		goto error;
	}
	rc = pthread_create(&pc->thread, NULL, checker_main, pc);
	if (rc) {
		*error = xasprintf("cannot start the password checks' thread: %s", strerror(rc));
		goto error;
	}
	pc->started = true;
	return pc;

error:
	pw_checker_destroy(pc);
	return NULL;
}

void pw_checker_destroy(struct pw_checker *pc)
{
	if (!pc)
		return;
	if (pc->started) {
		pthread_mutex_lock(&pc->mutex);
		pc->stop = true;
		pthread_cond_signal(&pc->cond);
		pthread_mutex_unlock(&pc->mutex);
		pthread_join(pc->thread, NULL);
	}
	list_free(pc->waiting);
	list_free(pc->answered);
	if (pc->wake_event)
		event_free(pc->wake_event);
	if (pc->wake[0] >= 0) {
		close(pc->wake[0]);
		close(pc->wake[1]);
	}
	pthread_cond_destroy(&pc->cond);
	pthread_mutex_destroy(&pc->mutex);
	free(pc);
}

struct pw_check *pw_check_start(struct pw_checker *pc, const char *hash, const char *password,
				pw_check_done_fn *done, void *aux)
{
	struct pw_check *c = xzalloc(sizeof *c);

	c->hash = xstrdup(hash);
	c->password = xstrdup(password);
	c->done = done;
	c->aux = aux;
	pthread_mutex_lock(&pc->mutex);
	*pc->waiting_tail = c;
	pc->waiting_tail = &c->next;
	pthread_cond_signal(&pc->cond);
	pthread_mutex_unlock(&pc->mutex);
	return c;
}

void pw_check_cancel(struct pw_check *c)
{
	if (c)
		c->done = NULL;
}
