# vigil — the two commands of the README, and a few developer shortcuts.
BUILD ?= build
JOBS ?= $(shell nproc)
VIGIL := $(BUILD)/vigil
DEMO_DIR ?= out/demo

.PHONY: deps build test demo bench sanitize fuzz clean

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null

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
# targets, runs every unit and end-to-end suite; $(BUILD)-tsan runs the server's suites under
# TSan. Any report fails the run (docs/fuzzing.md).
SAN_CMAKE = CC=clang CXX=clang++ cmake -S . -DCMAKE_BUILD_TYPE=Release -DVIGIL_PYTHON=OFF
TSAN_TESTS = ServiceTest|HttpServerTest|ResponseCacheTest|SharedCacheTest|ParseQuery|ParseListen|e2e.server_test|e2e.abuse_test|e2e.browser_test
$(BUILD)-asan/CMakeCache.txt:
	@$(SAN_CMAKE) -B $(BUILD)-asan -DVIGIL_SANITIZE=address,undefined -DVIGIL_FUZZ=ON >/dev/null
$(BUILD)-tsan/CMakeCache.txt:
	@$(SAN_CMAKE) -B $(BUILD)-tsan -DVIGIL_SANITIZE=thread >/dev/null

sanitize: deps $(BUILD)-asan/CMakeCache.txt $(BUILD)-tsan/CMakeCache.txt
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)
	@cmake --build $(BUILD)-tsan -j $(JOBS) --target vigil server_test
	@cd $(BUILD)-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tests/sanitizers/tsan.supp halt_on_error=1" \
	  ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

# libFuzzer targets, in the ASan+UBSan build: each runs FUZZ_SECONDS on a corpus kept in
# $(BUILD)-asan/corpus/, JOBS of them at a time (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = jsonl_parser csv_parser ingest_buffer config expression sketch cube http
fuzz: deps $(BUILD)-asan/CMakeCache.txt
	@cmake --build $(BUILD)-asan -j $(JOBS) --target fuzzers
	@echo $(FUZZ_TARGETS) | tr ' ' '\n' | xargs -P $(JOBS) -I{} bash fuzz/run.sh $(BUILD)-asan $(FUZZ_SECONDS) {}

clean:
	rm -rf $(BUILD) $(BUILD)-bench $(BUILD)-asan $(BUILD)-tsan out
