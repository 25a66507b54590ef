#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Writes a generated topology (YAML, the schema of spec.md) to stdout:
#   gen-topology.sh HOSTS TENANTS INSTANCES
# Hosts form a ring with a chord every 10 hosts; each tenant has one network
# with two subnets, a router and INSTANCES/TENANTS instances spread over the
# hosts; users carry a fixed argon2id hash so the benchmark measures the
# model and the store, not password hashing.
set -eu
hosts=${1:-1000} tenants=${2:-100} instances=${3:-10000}
awk -v H="$hosts" -v T="$tenants" -v I="$instances" 'BEGIN {
	hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$Y2Fub25pY2FsaGFzaGNhbm9uaWNhbGhhc2hjYW5vbg"
	print "substrate:"
	print "  hosts:"
	for (h = 0; h < H; h++)
		printf "    - {name: h%d%s}\n", h, (h % 50 == 0) ? ", capabilities: [inspection]" : ""
	print "  links:"
	for (h = 0; h < H; h++) {
		printf "    - {a: h%d, b: h%d, latency: %dms, bandwidth: 1gbit, cost: %d}\n", h, (h + 1) % H, 1 + h % 5, 1 + h % 7
		if (h % 10 == 0 && H > 20)
			printf "    - {a: h%d, b: h%d, latency: 20ms, bandwidth: 100mbit, cost: 1}\n", h, (h + H / 2 + 1) % H
	}
	print "tenants:"
	per = int(I / T)
	for (t = 0; t < T; t++) {
		printf "  - name: t%d\n", t
		printf "    service_level: %s\n", (t % 2) ? "silver" : "platinum"
		printf "    users:\n      - {name: admin, role: admin, password_hash: \"%s\"}\n", hash
		printf "    networks:\n      - name: net\n"
		printf "        subnets:\n          - {name: a, cidr: 10.%d.0.0/20}\n          - {name: b, cidr: 10.%d.16.0/20}\n", t % 250, t % 250
		printf "        routers:\n          - name: r1\n            interfaces:\n"
		printf "              - {name: GigabitEthernet0/0, subnet: a, ip: 10.%d.0.1}\n", t % 250
		printf "              - {name: GigabitEthernet0/1, subnet: b, ip: 10.%d.16.1}\n", t % 250
		printf "        security_groups:\n          - name: web\n            rules:\n"
		printf "              - {dir: in, proto: tcp, ports: 80, from: 0.0.0.0/0}\n"
		printf "              - {dir: in, proto: icmp, from_group: web}\n"
		printf "        instances:\n"
		for (i = 0; i < per; i++) {
			sn = (i % 2) ? "b" : "a"
			base = (i % 2) ? 16 : 0
			n = int(i / 2) + 10
			printf "          - {name: i%d, subnet: %s, host: h%d, ip: 10.%d.%d.%d, security_groups: [web]}\n", i, sn, (t * 7 + i) % H, t % 250, base + int(n / 256), n % 256
		}
	}
}'
