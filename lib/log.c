// SPDX-License-Identifier: Apache-2.0
/*
 * Logging to stderr with levels and per-call-site rate limits (see log.h).
 */
#include "onm/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level max_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {"ERR", "WARN", "INFO", "DBG"};

void log_set_level(enum log_level level)
{
	max_level = level;
}

bool log_level_from_string(const char *s, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
	    {"err", LOG_LEVEL_ERR},	 {"error", LOG_LEVEL_ERR}, {"warn", LOG_LEVEL_WARN},
	    {"warning", LOG_LEVEL_WARN}, {"info", LOG_LEVEL_INFO}, {"debug", LOG_LEVEL_DBG},
	    {"dbg", LOG_LEVEL_DBG},
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i].name)) {
			*level = names[i].level;
			return true;
		}
	}
	return false;
}

bool log_enabled(enum log_level level)
{
	return level <= max_level;
}

static void PRINTF_FORMAT(3, 0)
    log_valist(enum log_level level, const char *module, const char *fmt, va_list args)
{
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s.%03ldZ %s %s: ", stamp, ts.tv_nsec / 1000000, level_names[level],
		module);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	va_list args;
	va_start(args, fmt);
	log_valist(level, module, fmt, args);
	va_end(args);
}

void log_msg_rl(struct log_ratelimit *rl, enum log_level level, const char *module, const char *fmt,
		...)
{
	/* Call sites may be reached from several threads (the SSH server's). */
	static pthread_mutex_t rl_mutex = PTHREAD_MUTEX_INITIALIZER;
	unsigned int suppressed = 0;
	bool pass;

	if (!log_enabled(level))
		return;
	uint64_t now = time_usec();
	pthread_mutex_lock(&rl_mutex);
	if (!rl->window_start_us || now - rl->window_start_us >= 60 * 1000000ull) {
		suppressed = rl->suppressed;
		rl->window_start_us = now;
		rl->passed = 0;
		rl->suppressed = 0;
	}
	pass = rl->passed < rl->burst;
	if (pass)
		rl->passed++;
	else
		rl->suppressed++;
	pthread_mutex_unlock(&rl_mutex);
	if (suppressed)
		log_msg(level, module, "(%u similar messages suppressed in the last minute)",
			suppressed);
	if (!pass)
		return;
	va_list args;
	va_start(args, fmt);
	log_valist(level, module, fmt, args);
	va_end(args);
}
