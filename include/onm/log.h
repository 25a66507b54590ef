/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr with a level, a module name and a timestamp. Messages
 * that a peer or a request can trigger go through the rate-limited form
 * (at most 'burst' per minute per call site; suppressed ones are counted
 * and reported with the next message that passes).
 */
#ifndef ONM_LOG_H
#define ONM_LOG_H

#include "onm/util.h"

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DBG };

struct log_ratelimit {
	uint64_t window_start_us; /* start of the current one-minute window */
	unsigned int passed;	  /* messages let through in this window */
	unsigned int suppressed;  /* messages dropped in this window */
	unsigned int burst;	  /* messages allowed per window */
};

#define LOG_RATELIMIT_INIT(burst)                                                                  \
	{                                                                                          \
		0, 0, 0, (burst)                                                                   \
	}

void log_set_level(enum log_level);
/* Parses "err", "warn", "info" or "debug" (and "error", "warning",
 * "dbg"). Returns false for anything else. */
bool log_level_from_string(const char *, enum log_level *) WARN_UNUSED_RESULT;
bool log_enabled(enum log_level);
void log_msg(enum log_level, const char *module, const char *fmt, ...) PRINTF_FORMAT(3, 4);
void log_msg_rl(struct log_ratelimit *, enum log_level, const char *module, const char *fmt, ...)
    PRINTF_FORMAT(4, 5);

/* Each .c file that logs defines LOG_MODULE before including this header. */
#ifndef LOG_MODULE
#define LOG_MODULE "onm"
#endif

#define LOG_ERR(...) log_msg(LOG_LEVEL_ERR, LOG_MODULE, __VA_ARGS__)
#define LOG_WARN(...) log_msg(LOG_LEVEL_WARN, LOG_MODULE, __VA_ARGS__)
#define LOG_INFO(...) log_msg(LOG_LEVEL_INFO, LOG_MODULE, __VA_ARGS__)
#define LOG_DBG(...)                                                                               \
	do {                                                                                       \
		if (log_enabled(LOG_LEVEL_DBG))                                                    \
			log_msg(LOG_LEVEL_DBG, LOG_MODULE, __VA_ARGS__);                           \
	} while (0)

/* Rate-limited: one static limiter per call site, 'burst' messages a minute. */
#define LOG_RL(LEVEL, BURST, ...)                                                                  \
	do {                                                                                       \
		static struct log_ratelimit rl__ = LOG_RATELIMIT_INIT(BURST);                      \
		log_msg_rl(&rl__, LEVEL, LOG_MODULE, __VA_ARGS__);                                 \
	} while (0)
#define LOG_WARN_RL(...) LOG_RL(LOG_LEVEL_WARN, 10, __VA_ARGS__)
#define LOG_INFO_RL(...) LOG_RL(LOG_LEVEL_INFO, 10, __VA_ARGS__)

#endif /* ONM_LOG_H */
