/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the modules of 'onm lab' share: names, the state directory's files,
 * and small Linux helpers (running iproute2, entering network namespaces,
 * recognising our own processes).
 *
 * The state directory (default /run/onm-lab/NAME) holds:
 *   lab.json        everything the lab made, written by 'up' step by step
 *                   (atomically: a temporary file renamed over the old one)
 *                   so that 'down' can undo it after a crash; the
 *                   supervisor reads its "services" and "instances" from it
 *                   on SIGHUP;
 *   pids.json       written by the supervisor: the process of each service;
 *   onm.db          the controller's SQLite store;
 *   agents.sock     the controller's agent channel;
 *   *.log           one log per service, the supervisor's, DHCP clients';
 *   udhcpc.script   the DHCP client's hook (sets the lease on eth0).
 *
 * A process is recorded as a pid and its start time (/proc/PID/stat field
 * 22, in clock ticks since boot), so that a pid reused by another process
 * after a crash is never signalled.
 *
 * Thread-safety: none; 'onm lab' is single-threaded (setns() below switches
 * the calling thread's network namespace).
 */
#ifndef ONM_CLI_LAB_PRIVATE_H
#define ONM_CLI_LAB_PRIVATE_H

#include "onm/ds.h"
#include "onm/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LAB_STATE_FILE "lab.json"
#define LAB_PIDS_FILE "pids.json"
#define LAB_DEFAULT_NAME "onm"
#define LAB_STATE_ROOT "/run/onm-lab"
#define LAB_NETNS_DIR "/run/netns"

/* --- lab-sys.c: processes and commands --- */

/* Runs 'argv' (argv[0] looked up in $PATH) with stdin from /dev/null,
 * collecting its stdout and stderr into 'output' (if not NULL). Gives up
 * after 'timeout_ms' and kills it. Returns its exit status (0..255; 128+N
 * when killed by signal N) or a negative errno if it could not be run. */
int lab_cmdv(char *const argv[], unsigned int timeout_ms, struct ds *output) WARN_UNUSED_RESULT;

/* lab_cmdv() of the NULL-terminated arguments after 'arg0', with a 10 s
 * bound. On failure returns non-zero and, if 'error' is not NULL, puts
 * there the command line and what it said, on one line. */
int lab_cmd(struct ds *error, const char *arg0, ...) __attribute__((sentinel)) WARN_UNUSED_RESULT;

/* Start time of process 'pid' (clock ticks since boot), or 0 when there is
 * no such process or it is a zombie. */
uint64_t lab_proc_start_time(pid_t pid);

/* True if 'pid' runs and is the process that started at 'start_time'. */
bool lab_proc_alive(pid_t pid, uint64_t start_time);

/* Stops the process 'pid' that started at 'start_time' (if it still runs):
 * SIGTERM, then SIGKILL after 'timeout_ms'. Reaps it if it is our child.
 * Returns true if it was running. */
bool lab_proc_stop(pid_t pid, uint64_t start_time, unsigned int timeout_ms);

/* Directory of the running executable (for onm-controller, onm-agent).
 * Caller frees. */
char *lab_self_dir(void);

/* --- lab-sys.c: files --- */

/* rm -rf 'path'; a missing path is not an error. 0 or -errno. */
int lab_rm_rf(const char *path) WARN_UNUSED_RESULT;
/* Writes 'json' to 'path' atomically (temporary file, fsync, rename).
 * 0 or -errno. */
int lab_json_save(const json_t *json, const char *path) WARN_UNUSED_RESULT;
/* Reads 'path' as one JSON object. NULL with '*error' (allocated) set when
 * it is missing (errno ENOENT left in '*err_no') or malformed. */
json_t *lab_json_load(const char *path, int *err_no, char **error);

/* --- lab-sys.c: network namespaces --- */

/* "onm-LAB-HOST". Caller frees. */
char *lab_host_netns(const char *lab, const char *host);
/* "onm-LAB-i.TENANT.NETWORK.NAME", or "onm-LAB-i.HASH" when that would be
 * longer than 64 bytes. Caller frees. */
char *lab_instance_netns(const char *lab, const char *instance_id);

/* True if /run/netns/NAME exists. */
bool lab_netns_exists(const char *name);

/* Moves the calling thread into network namespace 'name'. With
 * 'private_sysfs' also into a new mount namespace with /sys remounted for
 * that network namespace (as 'ip netns exec' does), for a process that is
 * about to exec. 0 or -errno. */
int lab_netns_enter(const char *name, bool private_sysfs) WARN_UNUSED_RESULT;

/* A datagram socket living in network namespace 'name' (for link queries
 * with lab_link_exists()). Returns the fd or -errno. */
int lab_netns_socket(const char *name);

/* True if the namespace of socket 'sock' has a link named 'ifname'. */
bool lab_link_exists(int sock, const char *ifname);
/* The IFF_* flags of link 'ifname' in the namespace of 'sock', or -1 when
 * there is no such link. */
int lab_link_flags(int sock, const char *ifname);

/* Writes 'value' to /proc/sys/'key' (e.g. "net/ipv6/conf/all/disable_ipv6")
 * inside namespace 'name'. 0 or -errno. */
int lab_netns_sysctl(const char *name, const char *key, const char *value) WARN_UNUSED_RESULT;

/* Kills (SIGKILL) every process whose network namespace is 'name' and
 * returns how many; they are not our children. */
int lab_netns_kill_all(const char *name);

/* Moves link 'port' of namespace 'host_ns' into 'inst_ns', renames it
 * eth0 and sets it up; an eth0 already there (a stale port of an earlier
 * agent) is deleted first. 0, or non-zero with 'error' set. */
int lab_port_plug(const char *host_ns, const char *port, const char *inst_ns,
		  struct ds *error) WARN_UNUSED_RESULT;

/* --- lab-supervise.c --- */

/* 'onm lab supervise STATE_DIR': the lab's supervisor. Starts the services
 * of STATE_DIR/lab.json, restarts any that exits (100 ms, doubling while it
 * keeps failing within 10 s of its start, at most 5 s), reloads lab.json on
 * SIGHUP, puts the ports of restarted agents back into their instances'
 * namespaces, writes pids.json, and on SIGTERM stops every service and
 * exits 0. Returns the exit status. */
int lab_supervise_main(const char *state_dir);

/* --- lab-delay.c --- */

/* 'onm lab delay STATE_DIR': the delay line for kernels without netem.
 * Serves the NFQUEUE queues of lab.json's "delays", releasing each packet
 * after its link's latency; exits 0 on SIGTERM. Returns the exit status. */
int lab_delay_main(const char *state_dir);

#endif /* ONM_CLI_LAB_PRIVATE_H */
