# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the device tests (device-ssh.sh, device-ping.sh): the real OpenSSH client
# against the lab controller's SSH port, passwords through SSH_ASKPASS (no TTY needed for
# exec mode), and text checks. Source after lab/lib.sh; call device_ssh_setup PORT after
# lab_up.

# askpass PASSWORD: the password the next ssh gives.
askpass() {
	printf '#!/bin/sh\necho "%s"\n' "$1" >"$T_DIR/askpass"
	chmod 700 "$T_DIR/askpass"
}

# device_ssh_setup PORT: SSH_OPTS for the controller's SSH server on PORT.
device_ssh_setup() {
	SSH_OPTS=(-p "$1" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
		-o LogLevel=ERROR -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1
		-o ConnectTimeout=10)
}

# dev_ssh PASSWORD LOGIN COMMAND: exec mode; output in OUT, status in RC.
# shellcheck disable=SC2034
dev_ssh() {
	askpass "$1"
	OUT=$(SSH_ASKPASS="$T_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		timeout 60 ssh "${SSH_OPTS[@]}" -l "$2" 127.0.0.1 "$3" 2>"$T_DIR/ssh.err" </dev/null)
	RC=$?
}

# Helpers called through check (which shellcheck cannot see: SC2317).
# lacks TEXT PATTERN: no line of TEXT matches PATTERN.
# shellcheck disable=SC2317
lacks() {
	! has "$1" "$2"
}
# has_all TEXT PATTERN...: TEXT has a line matching each extended regex PATTERN.
# shellcheck disable=SC2317
has_all() {
	local text=$1 p
	shift
	for p in "$@"; do
		has "$text" "$p" || return 1
	done
}
# has_text TEXT STRING: TEXT holds STRING as it is (no regular expression).
# shellcheck disable=SC2317
has_text() {
	grep -Fq -- "$2" <<<"$1"
}
