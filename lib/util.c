// SPDX-License-Identifier: Apache-2.0
/*
 * Allocation wrappers that abort on out-of-memory, formatted strings and
 * small string/file helpers (see util.h).
 */
#include "onm/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void *check(void *p)
{
	if (!p)
		onm_abort("out of memory");
	return p;
}

void *xmalloc(size_t size)
{
	return check(malloc(size ? size : 1));
}

void *xzalloc(size_t size)
{
	return check(calloc(1, size ? size : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
	return check(realloc(p, size ? size : 1));
}

char *xstrdup(const char *s)
{
	return xmemdup0(s, strlen(s));
}

char *xmemdup0(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list args)
{
	char *s;
	if (vasprintf(&s, fmt, args) < 0)
		onm_abort("out of memory");
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	char *s = xvasprintf(fmt, args);
	va_end(args);
	return s;
}

void *xgrow(void *items, size_t *allocated, size_t n, size_t elem_size)
{
	if (n <= *allocated)
		return items;
	size_t want = *allocated ? *allocated : 4;
	while (want < n)
		want *= 2;
	if (want > SIZE_MAX / elem_size)
		onm_abort("array too large");
	*allocated = want;
	return xrealloc(items, want * elem_size);
}

void onm_abort(const char *fmt, ...)
{
	va_list args;
	fputs("FATAL: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	abort();
}

uint64_t time_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int read_file(const char *path, char **bufp, size_t *lenp)
{
	*bufp = NULL;
	*lenp = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	size_t allocated = 0, len = 0;
	char *buf = NULL;
	for (;;) {
		buf = xgrow(buf, &allocated, len + 65536 + 1, 1);
		ssize_t n = read(fd, buf + len, allocated - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int error = -errno;
			free(buf);
			close(fd);
			return error;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !memcmp(s + n - m, suffix, m);
}

int write_file_atomic(const char *path, const char *text, size_t len, mode_t mode)
{
	/* Per process: two may write the same file (the lab's supervisor and
	 * its CLI). */
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	size_t done = 0;
	int fd, rc = 0;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

int mkdir_p(const char *dir, mode_t mode)
{
	char *path = xstrdup(dir);
	int rc = 0;

	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(path);
	return rc;
}
