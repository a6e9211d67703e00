# Thin convenience layer over CMake. `make demo` and `make test` are the two
# commands the README opens with.
BUILD ?= build
JOBS ?= $(shell nproc)
NP ?= 2
LOGITRANK_DATA ?= $(abspath ../shared/data)
export LOGITRANK_DATA
MPIRUN_FLAGS := $(shell [ "$$(id -u)" = 0 ] && echo --allow-run-as-root) --oversubscribe --bind-to none

.PHONY: all build demo test bench format tidy debug clean

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DLOGITRANK_DATA=$(LOGITRANK_DATA)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the built-in default (configs/demo.yaml), on NP ranks.
demo: build
	mpirun $(MPIRUN_FLAGS) -np $(NP) $(BUILD)/bin/logitrank run --config configs/demo.yaml --out results/demo
	@cat results/demo/summary.md

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash scripts/run-benchmarks.sh $(BUILD)

# Debug build with AddressSanitizer + UBSan (CMakePresets.json "debug-sanitize").
debug:
	cmake --preset debug-sanitize -DLOGITRANK_DATA=$(LOGITRANK_DATA)
	cmake --build --preset debug-sanitize -j $(JOBS)
	cd build-debug && ctest --output-on-failure -E 'script\.'

format:
	find src apps tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

tidy: $(BUILD)/CMakeCache.txt
	find src apps -name '*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) build-debug
