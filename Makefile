# The two commands: `make run` and `make test`. Both install what is missing
# (Debian packages with apt-get when run as root; otherwise the exact apt-get
# line is printed and make stops), then build.

BUILD      ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)

# Libraries and tools, by Debian package name.
PACKAGES := cmake ninja-build g++ pkg-config \
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
  libsqlite3-dev sqlite3 libfmt-dev doctest-dev libssl-dev libsodium-dev libutf8proc-dev \
  libtomlplusplus-dev libcsv-dev
# What the test suite and the benchmarks need on top.
TEST_PACKAGES := chromium wrk curl clang libclang-rt-14-dev
NODE_TESTS_DIR := tests/node

.PHONY: all deps test-deps build run test bench sanitize clean

all: build

# dpkg-query tells which packages are absent; apt-get installs only those.
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages; run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_missing,$(PACKAGES))

# Node.js and npm come from Debian unless the machine already has them.
test-deps: deps
	$(call install_missing,$(TEST_PACKAGES))
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else echo "missing Node.js; run:"; echo "  sudo apt-get install -y nodejs npm"; exit 1; fi; }
	@cd $(NODE_TESTS_DIR) && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The demo: migrate var/hotline.db, load the Lạng Sơn directory of
# deploy/demo/ (again on every run: importing the same files changes
# nothing), then serve on 127.0.0.1:8080 with deploy/demo/hotline.toml.
DEMO := deploy/demo
run: build
	mkdir -p var
	$(BUILD)/hotline migrate --config $(DEMO)/hotline.toml
	$(BUILD)/hotline import contacts $(DEMO)/contacts.csv --config $(DEMO)/hotline.toml
	$(BUILD)/hotline import rosters $(DEMO)/rosters.csv --config $(DEMO)/hotline.toml
	$(BUILD)/hotline serve --config $(DEMO)/hotline.toml

test: test-deps build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: test-deps build
	bench/run.sh $(BUILD)
	$(BUILD)/bench/classify_eval intake/lexicon/vi.toml tests/intake/data/dev.jsonl tests/intake/data/extra.jsonl

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: test-deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOTLINE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
