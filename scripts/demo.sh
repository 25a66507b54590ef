#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make demo / make demo-down. Until the data-plane issue lands, the demo runs
# the controller on examples/demo.yaml and shows what it holds; it leaves the
# controller running (its PID in onm-state/demo/controller.pid).
set -eu
cd "$(dirname "$0")/.."
STATE=onm-state/demo
PIDFILE=$STATE/controller.pid
API=127.0.0.1:7080
ONM="build/onm --controller http://$API"

down() {
	if [ -f "$PIDFILE" ]; then
		pid=$(cat "$PIDFILE")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			echo "demo: controller (pid $pid) stopped"
		fi
		rm -f "$PIDFILE"
	fi
}

case "${1:-up}" in
down)
	down
	rm -rf "$STATE"
	exit 0
	;;
up) ;;
*) echo "usage: $0 up|down" >&2; exit 1 ;;
esac

down
rm -rf "$STATE"
mkdir -p "$STATE"
echo "demo: starting onm-controller on $API (store $STATE/onm.db)"
build/onm-controller --store "sqlite:$STATE/onm.db" --api "$API" >"$STATE/controller.log" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 100); do
	curl -sf "http://$API/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -sf "http://$API/healthz" >/dev/null || { cat "$STATE/controller.log"; exit 1; }

echo "demo: onm apply examples/demo.yaml"
$ONM apply examples/demo.yaml
for kind in hosts links tenants networks routers instances; do
	echo
	echo "\$ onm get $kind"
	$ONM get "$kind"
done
cat <<EOT

The controller keeps running (log: $STATE/controller.log). What to try next:
  build/onm get instances -o json
  build/onm apply examples/demo.yaml --dry-run        # idempotent: no changes
  build/onm link set h1 h2 down && build/onm get links
  curl -s http://$API/metrics | grep onm_
  make demo-down                                       # stop it
EOT
