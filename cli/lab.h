/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 'onm lab': an emulated substrate on one machine (spec.md, "onm — the
 * client"; docs/dataplane.md, "Hosts on the underlay" and "Ports"). This is
 * the one entry point the client's command table calls; the lab's own
 * modules share cli/lab-private.h.
 */
#ifndef ONM_CLI_LAB_H
#define ONM_CLI_LAB_H

/* Runs 'onm lab SUBCOMMAND ARGS...' with the words after "lab" in 'argv'.
 * Returns the process exit status: 0 success, 1 a user error or a failed
 * build (with a one-line "onm: ..." message), 2 when the lab's controller
 * cannot be started or reached. 'onm lab exec' does not return on success:
 * it becomes the command. */
int lab_main(int argc, char **argv);

#endif /* ONM_CLI_LAB_H */
