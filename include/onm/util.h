/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers every part of onm uses: allocation that aborts on
 * out-of-memory (callers never check), formatted strings, and the
 * attribute macros of style.md.
 */
#ifndef ONM_UTIL_H
#define ONM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#define PRINTF_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#define NO_RETURN __attribute__((noreturn))
#define RETURNS_NONNULL __attribute__((returns_nonnull))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Returns a pointer to the struct of type 'type' whose member 'member' is at 'ptr'. */
#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

void *xmalloc(size_t size) RETURNS_NONNULL;
void *xzalloc(size_t size) RETURNS_NONNULL;
void *xcalloc(size_t n, size_t size) RETURNS_NONNULL;
void *xrealloc(void *p, size_t size) RETURNS_NONNULL;
char *xstrdup(const char *s) RETURNS_NONNULL;
char *xmemdup0(const char *s, size_t len) RETURNS_NONNULL;
char *xasprintf(const char *fmt, ...) PRINTF_FORMAT(1, 2) RETURNS_NONNULL;
char *xvasprintf(const char *fmt, va_list args) PRINTF_FORMAT(1, 0) RETURNS_NONNULL;

/* Grows '*items' (of '*allocated' elements of 'elem_size' bytes) so that it
 * holds at least 'n' elements. Amortized doubling. */
void *xgrow(void *items, size_t *allocated, size_t n, size_t elem_size);

/* Prints "FATAL: ..." to stderr and aborts. For programmer bugs only. */
void onm_abort(const char *fmt, ...) PRINTF_FORMAT(1, 2) NO_RETURN;

/* Monotonic clock. */
uint64_t time_usec(void);

/* Reads all of 'path' into a NUL-terminated buffer. Returns 0 or -errno. */
int read_file(const char *path, char **buf, size_t *len) WARN_UNUSED_RESULT;
/* Writes 'len' bytes of 'text' to 'path' whole or not at all: a new file
 * 'path'.tmp.PID, created with 'mode' (a private key is never readable by
 * others, not even briefly), fsync'ed, renamed over 'path'. Returns 0 or
 * -errno. */
int write_file_atomic(const char *path, const char *text, size_t len,
		      mode_t mode) WARN_UNUSED_RESULT;
/* Makes directory 'dir' and the missing ones above it with 'mode'. Returns
 * 0 (also when it exists) or -errno. */
int mkdir_p(const char *dir, mode_t mode) WARN_UNUSED_RESULT;

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

#endif /* ONM_UTIL_H */
