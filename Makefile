# Thin wrapper over CMake/CTest. Run as root (or with sudo) on Debian 12.
#   make demo   install what is needed, build, apply recipes/demo.lua to a
#               local control plane (make demo-down stops it)
#   make test   install what is needed, build, run every test suite
BUILD    ?= build
SANITIZE ?= OFF
WERROR   ?= OFF
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX   ?= /usr/local
CTEST_ARGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Everything the build and the unit/lua suites need (Debian package names).
PKGS = build-essential cmake pkg-config ca-certificates python3 \
       liblua5.4-dev libyaml-dev libcurl4-openssl-dev libjansson-dev \
       libgit2-dev libssl-dev zlib1g-dev util-linux
# The e2e suites' servers and reference tools, installed here one after the
# other so the test fixtures (which run in parallel) never race for the dpkg
# lock: git and sshd for the git suite, jq for the image suite, tmux for the
# terminal test, zsh and groff for the completion and man page tests, then the registry suite's and the
# test environment's own lists (registry, etcd, Go for the Kubernetes build,
# skopeo, node for kubectl/helm, ...).
E2E_PKGS = git openssh-server openssh-client jq tmux zsh groff-base
# `make fuzz` also needs clang and libFuzzer's runtime.
FUZZ_PKGS = clang-14 libclang-rt-14-dev

CDHOST = $(BUILD)/cdhost

.PHONY: all build deps fuzz-deps test fuzz demo demo-down install clean help

all: build

help:
	@echo "make demo | test | fuzz | deps | build | install | clean"
	@echo "variables: BUILD=dir SANITIZE=ON WERROR=ON CTEST_ARGS='-L unit'"
	@echo "           FUZZ_SECONDS=60 (per target) FUZZ_TARGETS='value_yaml status'"

deps fuzz-deps:
	@missing=""; for p in $(if $(filter fuzz-deps,$@),$(FUZZ_PKGS),$(PKGS) $(E2E_PKGS)); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@if [ $@ = deps ]; then \
	  bash tests/e2e/registry/deps.sh && bash tests/e2e/env/testenv deps; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCDHOST_SANITIZE=$(SANITIZE) -DCDHOST_WERROR=$(WERROR)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE bench $(CTEST_ARGS)

# libFuzzer targets (tests/fuzz), built with clang, each fuzzed for
# FUZZ_SECONDS; new corpus entries are merged into tests/fuzz/corpus.
fuzz: deps fuzz-deps
	@[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || \
	  cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang-14 -DCDHOST_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target \
	  $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

# The demo against a local control plane (tests/e2e/env/testenv, cached):
# `make demo` applies recipes/demo.lua for real, `make demo-down` stops it.
DEMO_ENV ?= /tmp/cdhost-demo-env
demo: deps
	@$(MAKE) --no-print-directory build
	$(CDHOST) --dry-run recipes/demo.lua >/dev/null
	tests/e2e/kube/demo.sh $(DEMO_ENV) $(CDHOST)

demo-down:
	tests/e2e/env/testenv down $(DEMO_ENV)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
