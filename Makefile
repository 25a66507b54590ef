# SPDX-License-Identifier: Apache-2.0
# Thin wrapper around Meson/Ninja (see README.md). Every target that builds
# first installs missing Debian packages (scripts/deps.sh: a dpkg check, apt
# only when something is missing).

BUILD ?= build
PREFIX ?= /usr/local

.PHONY: all deps build test bench demo demo-down install clean format

all: build

deps:
	@scripts/deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --prefix=$(PREFIX)
	@ninja -C $(BUILD)

test:
	@scripts/test.sh

bench: deps
	@scripts/deps.sh bench
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --prefix=$(PREFIX)
	@meson setup --reconfigure $(BUILD) >/dev/null # finds bench-only peers (igraph) just installed
	@ninja -C $(BUILD)
	@bench/run.sh

demo: build
	@scripts/demo.sh up

demo-down:
	@scripts/demo.sh down

install: build
	@meson install -C $(BUILD) --no-rebuild

clean:
	rm -rf $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')
