/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `onm console`: a terminal on a simulated device through the
 * controller's SSH server (device/ssh.h), without an ssh binary. The
 * caller gets a one-time ticket from the controller's API and passes it
 * as the password.
 *
 * The server's host key is not checked against known_hosts: the
 * controller's address and the ticket come from the controller's own API
 * over the channel the user already trusts, and the ticket works once and
 * expires within a minute, so a man in the middle gains nothing lasting.
 */
#ifndef ONM_CLI_CONSOLE_H
#define ONM_CLI_CONSOLE_H

/* Connects to 'host':'port', logs in as 'login' with 'password', asks for
 * a shell and copies the terminal both ways until the device ends the
 * session. When stdin is a terminal: a PTY of its size and $TERM, raw
 * mode (restored on every way out, SIGINT and SIGTERM included), window
 * changes forwarded. Otherwise stdin's lines go as they are, and its end
 * is sent as EOF. Returns the session's exit status (0 when the device
 * sent none), or -1 with '*error' set (allocated). Blocks. */
int console_run(const char *host, int port, const char *login, const char *password, char **error);

#endif /* ONM_CLI_CONSOLE_H */
