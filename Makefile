# vigil — the two commands of the README, and a few developer shortcuts.
BUILD ?= build
JOBS ?= $(shell nproc)
VIGIL := $(BUILD)/vigil
DEMO_DIR ?= out/demo

.PHONY: deps build test demo bench fuzz clean

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

# libFuzzer targets (clang): builds into $(BUILD)-fuzz/ and runs each for FUZZ_SECONDS on a
# corpus kept in $(BUILD)-fuzz/corpus/ (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DVIGIL_FUZZ=ON -DVIGIL_TESTS=OFF -DVIGIL_PYTHON=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzzers
	@bash fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD)-bench $(BUILD)-fuzz out
