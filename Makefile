# vigil — the two commands of the README, and a few developer shortcuts.
BUILD ?= build
JOBS ?= $(shell nproc)
VIGIL := $(BUILD)/vigil
DEMO_DIR ?= out/demo

.PHONY: deps build test demo bench clean

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

clean:
	rm -rf $(BUILD) $(BUILD)-bench out
