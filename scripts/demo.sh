#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make demo / make demo-down. 'up' brings up the example lab (examples/demo.yaml: the
# topology of spec.md) with 'onm lab up', shows it working — web1 -> db1 routed through
# r1, app1 -> app2 in the other tenant on the same addresses, the instances the
# controller knows — and leaves it running with what to try next. 'down' removes it
# ('onm lab down'). Needs root: the lab is network namespaces.
set -eu
cd "$(dirname "$0")/.."
ONM=build/onm

if [ "$(id -u)" != 0 ]; then
	echo "demo: the lab needs root (network namespaces); run: sudo make ${1:+demo-}${1:-demo}" >&2
	exit 1
fi

case "${1:-up}" in
down)
	exec "$ONM" lab down
	;;
up) ;;
*)
	echo "usage: $0 up|down" >&2
	exit 1
	;;
esac

# A controller left by the demo of earlier versions (before the lab) holds port 7080.
old=onm-state/demo/controller.pid
if [ -f "$old" ]; then
	pid=$(cat "$old")
	if grep -q onm-controller "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid"
		echo "demo: stopped the controller of an earlier demo (pid $pid)"
	fi
	rm -rf onm-state/demo
fi
# One demo at a time: an earlier one is replaced.
if "$ONM" lab status >/dev/null 2>&1; then
	echo "demo: an earlier demo lab is up; taking it down first"
	"$ONM" lab down
	echo
fi

"$ONM" lab up examples/demo.yaml

show() { # onm ARGS...
	echo
	echo "\$ onm $*"
	"$ONM" "$@"
}
show lab exec web1 -- ping -c 3 -i 0.3 10.1.2.10
show lab exec web1 -- traceroute -I -n -q 1 -w 2 10.1.2.10
show lab exec app1 -- ping -c 3 -i 0.3 10.1.1.20
# A platinum and a silver path between the same two hosts (the agents' probes
# may take a moment to measure the links' latency).
show route show acme/blue
show route show globex/red
show trace web1 10.1.2.10 --proto tcp --port 5432
show get instances

cat <<EOT

The lab keeps running. web1 (acme/blue, on h1) reached db1 (on h3) through the
router r1; globex's app1 reached app2 on the same addresses as acme's, isolated.
acme (platinum) crosses the substrate by h2, the fast path; globex (silver) by
h4, the cheap one.
What to try next (build/onm, or onm after make install):

  onm lab status                                    what runs where
  onm lab exec web1 -- ping 10.1.2.10               acme/blue, routed by r1
  onm lab exec db1 -- nc -l 5432 &                  security group db: tcp/5432
  onm lab exec web1 -- nc -v 10.1.2.10 5432           ... from group web passes
  onm lab exec app1 -- ping 10.1.1.10               globex/red: its own 10.1.1.10
  onm lab exec web1 -- bash                         a shell inside web1
  onm get hosts; onm get links; onm get networks    the model (REST on 127.0.0.1:7080)
  onm route show acme/blue                          routes and substrate paths
  onm link set h1 h2 down                           maintenance: platinum reroutes
  onm tenant quarantine acme                        acme's traffic via scan1
  onm trace web1 10.1.2.10                          one packet, step by step
  ip netns list | grep onm-onm-                     the namespaces
  ls /run/onm-lab/onm/                              state and logs (controller, agents)
  make demo-down                                    remove it all (or: onm lab down)
EOT
