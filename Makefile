# Thin driver over CMake. The two commands in README.md:
#   make run    install what is missing, build, run the main job
#   make test   install what is missing, build (normal + ASan/UBSan), run
#               every test, valgrind the unit tests, fuzz each parser briefly
MAKEFLAGS += --no-print-directory
JOBS      ?= $(shell nproc)
BUILD     ?= build
ASAN      ?= build-asan
FUZZ      ?= build-fuzz
FUZZ_SECS ?= 15
CMAKE     ?= cmake
SHARED    ?= ../shared/data
HR         = $(BUILD)/headroom

.PHONY: all deps build asan fuzz-build run serve-demo demo-forecast test test-release test-asan \
        valgrind fuzz bench bench-deps format format-check clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

asan: deps
	@$(CMAKE) -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DHR_SANITIZE=ON >/dev/null
	@$(CMAKE) --build $(ASAN) -j $(JOBS)

fuzz-build: deps
	@CC=clang $(CMAKE) -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHR_FUZZ=ON >/dev/null
	@$(CMAKE) --build $(FUZZ) -j $(JOBS)

# The main job (issue 7): headroom serve on its embedded defaults with a demo
# fleet, a PlanetLab day replayed through the API, the control loop in
# predictive mode on the sim driver, the dashboard URL and a token printed.
# Ctrl-C stops it.
run: build
	@scripts/serve-demo.sh $(HR)

serve-demo: run

# The forecasting demo: a backtest of the bundled M4 sample -> an HTML report.
demo-forecast: build
	$(HR) backtest --m4 tests/data/m4/Hourly-train-sample20.csv \
	    --test tests/data/m4/Hourly-test-sample20.csv --report headroom-report.html
	@echo "report: $(CURDIR)/headroom-report.html"

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --output-on-failure -j $(JOBS)

valgrind: build
	@scripts/valgrind-tests.sh $(BUILD)

fuzz: fuzz-build
	@scripts/fuzz-brief.sh $(FUZZ) $(FUZZ_SECS)

test: format-check test-release test-asan valgrind fuzz
	@echo "headroom: all test stages passed"

bench-deps:
	@scripts/deps.sh --bench

bench: build bench-deps
	@bench/run.sh $(HR) $(SHARED)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

# Every tracked C file as .clang-format has it (clang-format 14, Debian 12).
format-check: deps
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror \
	    && echo "format: $$(git ls-files '*.c' '*.h' | wc -l) files clean"

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
