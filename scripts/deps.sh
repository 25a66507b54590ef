#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages onm needs to build and test (and, with the
# argument 'bench', to benchmark), if any is missing. Idempotent and fast
# when everything is present: it asks dpkg first and calls apt only for what
# is missing.
set -eu

# Build and libraries (see README.md, "Dependencies").
PKGS="gcc make pkg-config meson ninja-build
libevent-dev libjansson-dev libyaml-dev libsqlite3-dev libsodium-dev libcmocka-dev libssh-dev"
# Tests: fuzzing and sanitizers with clang, real clients.
PKGS="$PKGS clang libclang-rt-14-dev curl iproute2 procps"
# The lab and its tests: DHCP client, real traffic tools, captures.
PKGS="$PKGS udhcpc iputils-ping traceroute iperf3 netcat-openbsd tcpdump tshark ethtool jq python3"
# Link emulation where the kernel lacks netem: the lab delays packets
# through NFQUEUE (see docs/lab.md).
PKGS="$PKGS iptables"
# Simulated devices: the real SSH client, driven through a PTY by expect.
PKGS="$PKGS openssh-client expect"
# Simulated devices over SNMP: net-snmp's library (the controller's agent is
# built on it), its tools and snmptrapd (the tests walk, set and receive traps
# with them).
PKGS="$PKGS libsnmp-dev snmp snmptrapd"
# Benchmarks only ('deps.sh bench', called by make bench): load generators
# and the peers the data plane is measured against; OpenSSH's sshd is the
# peer of the simulated devices' SSH server (bench/ssh.sh runs its own sshd,
# own config and host key, on loopback; it does not use the system service).
if [ "${1:-}" = bench ]; then
	PKGS="$PKGS wrk sqlite3 libigraph-dev openvswitch-switch wireguard-go wireguard-tools"
	PKGS="$PKGS openssh-server snmpd"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages and not root; run: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing; then
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
