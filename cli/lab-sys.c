// SPDX-License-Identifier: Apache-2.0
/*
 * The Linux side of 'onm lab': running iproute2 without a shell, entering
 * network namespaces the way 'ip netns exec' does, recognising processes by
 * pid and start time, and the state directory's files (see lab-private.h).
 */
#include "lab-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAB_CMD_TIMEOUT_MS 10000
#define LAB_NETNS_MAX 64

int lab_cmdv(char *const argv[], unsigned int timeout_ms, struct ds *output)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);

	uint64_t deadline = time_usec() + (uint64_t)timeout_ms * 1000;
	bool killed = false;
	for (;;) {
		char buf[4096];
		uint64_t now = time_usec();
		int wait_ms = now >= deadline ? 0 : (int)((deadline - now) / 1000) + 1;
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		int n = poll(&pfd, 1, wait_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		ssize_t got = read(pipefd[0], buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (output)
			ds_put_buffer(output, buf, (size_t)got);
	}
	close(pipefd[0]);

	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (killed && output)
		ds_put_format(output, "(killed after %u ms)", timeout_ms);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int lab_cmd(struct ds *error, const char *arg0, ...)
{
	const char *argv[64];
	size_t n = 0;
	va_list args;

	argv[n++] = arg0;
	va_start(args, arg0);
	for (;;) {
		const char *arg = va_arg(args, const char *);
		if (n >= ARRAY_SIZE(argv) - 1)
			onm_abort("lab_cmd: too many arguments");
		argv[n++] = arg;
		if (!arg)
			break;
	}
	va_end(args);

	struct ds out = DS_EMPTY_INITIALIZER;
	int rc = lab_cmdv((char *const *)argv, LAB_CMD_TIMEOUT_MS, &out);
	if (rc && error) {
		ds_clear(error);
		for (size_t i = 0; argv[i]; i++)
			ds_put_format(error, "%s%s", i ? " " : "", argv[i]);
		ds_put_cstr(error, ": ");
		if (rc < 0) {
			ds_put_cstr(error, strerror(-rc));
		} else {
			/* What the tool said, on one line. */
			size_t len = out.length;
			while (len && (out.string[len - 1] == '\n' || out.string[len - 1] == ' '))
				len--;
			for (size_t i = 0; i < len; i++)
				ds_put_char(error, out.string[i] == '\n' ? ' ' : out.string[i]);
			if (!len)
				ds_put_format(error, "exit status %d", rc);
		}
	}
	ds_destroy(&out);
	return rc;
}

uint64_t lab_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	int fd;
	ssize_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';

	/* "PID (COMM) STATE PPID ..." — COMM may hold anything, so start
	 * after its last ')'. Field 3 is the state, field 22 the start time. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

bool lab_proc_alive(pid_t pid, uint64_t start_time)
{
	uint64_t t = lab_proc_start_time(pid);

	return t && t == start_time;
}

static void reap_if_child(pid_t pid)
{
	while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
		continue;
}

bool lab_proc_stop(pid_t pid, uint64_t start_time, unsigned int timeout_ms)
{
	if (!lab_proc_alive(pid, start_time)) {
		reap_if_child(pid);
		return false;
	}
	kill(pid, SIGTERM);
	uint64_t deadline = time_usec() + (uint64_t)timeout_ms * 1000;
	while (time_usec() < deadline) {
		reap_if_child(pid);
		if (!lab_proc_alive(pid, start_time))
			return true;
		usleep(20000);
	}
	if (lab_proc_alive(pid, start_time))
		kill(pid, SIGKILL);
	for (int i = 0; i < 100; i++) {
		reap_if_child(pid);
		if (!lab_proc_alive(pid, start_time))
			break;
		usleep(10000);
	}
	return true;
}

char *lab_self_dir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);

	if (n <= 0)
		return xstrdup(".");
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	*slash = '\0';
	return xstrdup(path);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		return -errno;
	return 0;
}

int lab_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int lab_json_save(const json_t *json, const char *path)
{
	char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *line;
	int ret;

	if (!text)
		onm_abort("json_dumps failed");
	line = xasprintf("%s\n", text);
	ret = write_file_atomic(path, line, strlen(line), 0600);
	free(line);
	free(text);
	return ret;
}

json_t *lab_json_load(const char *path, int *err_no, char **error)
{
	char *buf;
	size_t len;
	int rc = read_file(path, &buf, &len);

	*err_no = 0;
	*error = NULL;
	if (rc) {
		*err_no = -rc;
		*error = xasprintf("cannot read %s: %s", path, strerror(-rc));
		return NULL;
	}
	json_error_t jerr;
	json_t *json = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (!json_is_object(json)) {
		*err_no = EINVAL;
		*error = json ? xasprintf("%s: not a JSON object", path)
			      : xasprintf("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		json_decref(json);
		return NULL;
	}
	return json;
}

char *lab_host_netns(const char *lab, const char *host)
{
	return xasprintf("onm-%s-%s", lab, host);
}

char *lab_instance_netns(const char *lab, const char *instance_id)
{
	char *name = xasprintf("onm-%s-i.%s", lab, instance_id);

	for (char *p = name; *p; p++) {
		if (*p == '/')
			*p = '.';
	}
	if (strlen(name) > LAB_NETNS_MAX) {
		/* FNV-1a, 48 bits, as port_name() does. */
		uint64_t hash = 14695981039346656037ull;
		for (const char *p = instance_id; *p; p++) {
			hash ^= (unsigned char)*p;
			hash *= 1099511628211ull;
		}
		free(name);
		name = xasprintf("onm-%s-i.%012llx", lab, (unsigned long long)(hash >> 16));
	}
	return name;
}

static char *netns_path(const char *name)
{
	return xasprintf(LAB_NETNS_DIR "/%s", name);
}

bool lab_netns_exists(const char *name)
{
	char *path = netns_path(name);
	struct stat st;
	bool exists = !stat(path, &st);

	free(path);
	return exists;
}

static int netns_open(const char *name)
{
	char *path = netns_path(name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = fd < 0 ? -errno : fd;

	free(path);
	return ret;
}

int lab_netns_enter(const char *name, bool private_sysfs)
{
	int fd = netns_open(name);

	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET)) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	if (!private_sysfs)
		return 0;

	/* As 'ip netns exec': /sys of the new namespace in a private mount
	 * namespace, so that /sys/class/net lists its links. Mount changes
	 * must not propagate back to the host's namespace. */
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL))
		return -errno;
	umount2("/sys", MNT_DETACH); /* none mounted is fine: mount one */
	if (mount(name, "/sys", "sysfs", 0, NULL))
		return -errno;
	return 0;
}

int lab_netns_socket(const char *name)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ret;

	if (self < 0)
		return -errno;
	ret = lab_netns_enter(name, false);
	if (!ret) {
		ret = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ret < 0)
			ret = -errno;
		if (setns(self, CLONE_NEWNET))
			onm_abort("cannot return to the original network namespace: %s",
				  strerror(errno));
	}
	close(self);
	return ret;
}

int lab_link_flags(int sock, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof ifr);
	if (strlen(ifname) >= sizeof ifr.ifr_name)
		return -1;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		return -1;
	return (unsigned short)ifr.ifr_flags;
}

bool lab_link_exists(int sock, const char *ifname)
{
	return lab_link_flags(sock, ifname) >= 0;
}

int lab_netns_sysctl(const char *name, const char *key, const char *value)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ret;

	if (self < 0)
		return -errno;
	ret = lab_netns_enter(name, false);
	if (!ret) {
		/* /proc/sys/net follows the opener's network namespace. */
		char *path = xasprintf("/proc/sys/%s", key);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
		} else {
			size_t len = strlen(value);
			if (write(fd, value, len) != (ssize_t)len)
				ret = -errno ? -errno : -EIO;
			close(fd);
		}
		free(path);
		if (setns(self, CLONE_NEWNET))
			onm_abort("cannot return to the original network namespace: %s",
				  strerror(errno));
	}
	close(self);
	return ret;
}

int lab_netns_kill_all(const char *name)
{
	char *path = netns_path(name);
	struct stat ns;
	int killed = 0;

	if (stat(path, &ns)) {
		free(path);
		return 0;
	}
	free(path);

	DIR *proc = opendir("/proc");
	if (!proc)
		return 0;
	struct dirent *de;
	while ((de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 1 || pid == getpid())
			continue;
		char link[64];
		struct stat st;
		snprintf(link, sizeof link, "/proc/%ld/ns/net", pid);
		if (stat(link, &st) || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev)
			continue;
		if (!kill((pid_t)pid, SIGKILL))
			killed++;
	}
	closedir(proc);
	return killed;
}

int lab_port_plug(const char *host_ns, const char *port, const char *inst_ns, struct ds *error)
{
	int sock = lab_netns_socket(inst_ns);
	int rc;

	if (sock < 0) {
		ds_clear(error);
		ds_put_format(error, "namespace %s: %s", inst_ns, strerror(-sock));
		return sock;
	}
	bool stale = lab_link_exists(sock, "eth0");
	close(sock);
	if (stale) {
		rc = lab_cmd(error, "ip", "-n", inst_ns, "link", "del", "eth0", NULL);
		if (rc)
			return rc;
	}
	rc = lab_cmd(error, "ip", "-n", host_ns, "link", "set", "dev", port, "netns", inst_ns,
		     "name", "eth0", NULL);
	if (!rc)
		rc = lab_cmd(error, "ip", "-n", inst_ns, "link", "set", "eth0", "up", NULL);
	return rc;
}
