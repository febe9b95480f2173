# vigil — the two commands of the README, and a few developer shortcuts.
BUILD ?= build
JOBS ?= $(shell nproc)
VIGIL := $(BUILD)/vigil
DEMO_DIR ?= out/demo

.PHONY: deps build test demo bench sanitize fuzz format format-check tidy clean

deps:
	@bash scripts/install-deps.sh

# CMAKE_ARGS: extra configure flags for $(BUILD), e.g. -DVIGIL_DEVELOPER_MODE=ON (what CI uses).
CMAKE_ARGS ?=
$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(VIGIL) $(DEMO_DIR)

bench: deps
	@cmake -S . -B $(BUILD)-bench -DCMAKE_BUILD_TYPE=Release -DVIGIL_BENCHMARKS=ON >/dev/null
	@cmake --build $(BUILD)-bench -j $(JOBS)
	@bash bench/run.sh $(BUILD)-bench

# The sanitizer builds (clang): $(BUILD)-asan with ASan+UBSan, which also holds the libFuzzer
# targets, runs every unit suite and all but four end-to-end ones; $(BUILD)-tsan runs the
# server's suites under TSan. Any report fails the run (docs/fuzzing.md).
SAN_CMAKE = CC=clang CXX=clang++ cmake -S . -DCMAKE_BUILD_TYPE=Release -DVIGIL_PYTHON=OFF
# The longest end-to-end suites replay whole simulated fortnights (or a followed stream) through
# the CLI or the server; the code they drive runs under ASan+UBSan in the unit and golden suites,
# so the ASan run skips them (the followed stream runs under TSan).
ASAN_SKIP = e2e.run_test|e2e.report_test|e2e.random_world_test|e2e.follow_test
TSAN_TESTS = ServiceTest|HttpServerTest|ResponseCacheTest|SharedCacheTest|ParseQuery|ParseListen|e2e.server_test|e2e.stream_test|e2e.follow_test|Follower|e2e.abuse_test|e2e.browser_test
$(BUILD)-asan/CMakeCache.txt:
	@$(SAN_CMAKE) -B $(BUILD)-asan -DVIGIL_SANITIZE=address,undefined -DVIGIL_FUZZ=ON >/dev/null
$(BUILD)-tsan/CMakeCache.txt:
	@$(SAN_CMAKE) -B $(BUILD)-tsan -DVIGIL_SANITIZE=thread >/dev/null

sanitize: deps $(BUILD)-asan/CMakeCache.txt $(BUILD)-tsan/CMakeCache.txt
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -E '$(ASAN_SKIP)'
	@cmake --build $(BUILD)-tsan -j $(JOBS) --target vigil server_test
	@cd $(BUILD)-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tests/sanitizers/tsan.supp halt_on_error=1" \
	  ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

# libFuzzer targets, in the ASan+UBSan build: each runs FUZZ_SECONDS on a corpus kept in
# $(BUILD)-asan/corpus/, JOBS of them at a time (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = jsonl_parser csv_parser ingest_buffer config expression sketch model cube http
fuzz: deps $(BUILD)-asan/CMakeCache.txt
	@cmake --build $(BUILD)-asan -j $(JOBS) --target fuzzers
	@echo $(FUZZ_TARGETS) | tr ' ' '\n' | xargs -P $(JOBS) -I{} bash fuzz/run.sh $(BUILD)-asan $(FUZZ_SECONDS) {}

# Formatting (.clang-format) and static analysis (.clang-tidy): `make format` rewrites the files,
# `make format-check` and `make tidy` fail on any difference or finding. Tidy reads the
# compile commands of $(BUILD) (gcc flags clang does not know are ignored).
SOURCES = $(shell git ls-files '*.cc' '*.h' 2>/dev/null || find src include apps python tests bench fuzz -name '*.cc' -o -name '*.h')
TIDY_FILES = $(shell git ls-files 'src/*.cc' 'apps/*.cc' 'python/src/*.cc' 2>/dev/null || find src apps python/src -name '*.cc')
format:
	@clang-format -i $(SOURCES)
format-check:
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: $(words $(SOURCES)) files clean"
tidy: $(BUILD)/CMakeCache.txt
	@run-clang-tidy -quiet -j $(JOBS) -p $(BUILD) -extra-arg=-Wno-unknown-warning-option \
	  $(TIDY_FILES) >$(BUILD)/tidy.log 2>&1; status=$$?; \
	  grep -E '(warning|error):' $(BUILD)/tidy.log | sort -u; \
	  if [ $$status = 0 ]; then echo "tidy: $(words $(TIDY_FILES)) files clean"; else echo "tidy: findings (full log: $(BUILD)/tidy.log)"; fi; \
	  exit $$status

clean:
	rm -rf $(BUILD) $(BUILD)-bench $(BUILD)-asan $(BUILD)-tsan out
