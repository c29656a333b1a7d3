# kiln - top-level Makefile: a thin wrapper around CMake.
#
#   make demo    install dependencies, build kiln, run the bundled example
#   make demo-policy  the admission-policy host (examples/policy-host) on
#                generated requests; make bench-policy: it against node
#   make demo-actor   the actor host (examples/actor-host): 2,000 pooled
#                actors on 2 threads, one hostile; make bench-actor: messages/s
#   make test    install dependencies, build, run every test suite
#   make build   configure + build into $(BUILD)/ (also the default goal)
#   make fuzz    libFuzzer run of decode+validate (clang-19, own build dir)
#   make install build, then install into $(PREFIX) (bin/, lib/, include/,
#                pkg-config and CMake package files; docs/embedding.md)
#   make deb     build, then a Debian package with CPack in $(BUILD)/
#   make clean   remove every build directory
#
# Variables (command line or environment):
#   WASM_TESTSUITE  checkout of github.com/WebAssembly/testsuite; the spec
#                   suite is skipped (loudly) when it is not set
#   WASM_TESTSUITE3 the WebAssembly 3.0 suite converted to JSON
#                   (../shared/testsuite-3.0 in CI) for `make test-spec3`;
#                   skipped (loudly) when it is not set
#   CC              C compiler (`make CC=clang` builds into build-clang/)
#   JOBS            parallel jobs (default 2)
#   FUZZ_TIME       seconds for `make fuzz` (default 60)
#   FUZZ_RUNS_DECODE, FUZZ_RUNS_COMPILE  executions in `make test-fuzz`
#   DIFF_COUNT, DIFF_EXPLICIT_COUNT      modules in `make test-differential`
#   VALIDATE_COUNT  mutated modules checked against wasm-validate (default 2000)
#   SPEC_LEVELS     optimisation levels the spec suite runs at (default -O0 -O2)
#   PREFIX          where `make install` installs (default /usr/local)

JOBS ?= 2
FUZZ_TIME ?= 60
VALIDATE_COUNT ?= 2000
SPEC_LEVELS ?= -O0 -O2
SPEC_COMMIT := 3a04b2cf93bd8fce277458d419eea8d9c326345c
# Spec files re-run with every module split into partitions (kiln-spec
# --compile-jobs): the ones with many functions, calls across them,
# tables, imports, traps and stack exhaustion.
SPEC_PARTITION_FILES := address block br br_if br_table bulk call call_indirect elem exports \
  fac func func_ptrs global imports left-to-right linking load memory_grow memory_trap names \
  ref_func return select skip-stack-guard-page stack start switch table_copy table_init traps \
  unwind simd_lane simd_load

# The default compiler builds into build/; any other gets its own
# directory so that switching CC never fights a stale CMake cache.
ifeq ($(origin CC),default)
BUILD ?= build
CMAKE_CC :=
else
BUILD ?= build-$(notdir $(firstword $(CC)))
CMAKE_CC := -DCMAKE_C_COMPILER=$(CC)
endif
FUZZ_BUILD ?= build-fuzz

KILN := $(BUILD)/kiln
SPEC := $(BUILD)/kiln-spec

# Steps run in the order written even under `make -j`; parallelism
# happens inside each step (cmake --build -j, ctest -j, kiln-spec -j).
.NOTPARALLEL:

.PHONY: all build deps demo test test-unit test-spec test-spec3 test-validate test-regress test-e2e
.PHONY: fuzz fuzz-build clean
.PHONY: test-sandbox test-redteam test-differential fuzz-compile test-fuzz
.PHONY: bench bench-compile bench-compile-npm bench-compile-incremental bench-compile-ruby bench-instantiate demo-policy bench-policy demo-actor bench-actor

all: build

deps:
	@scripts/install-deps

build:
	cmake -S . -B $(BUILD) -G "Unix Makefiles" $(CMAKE_CC) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

demo: deps build
	@mkdir -p $(BUILD)/examples
	wat2wasm examples/hello.wat -o $(BUILD)/examples/hello.wasm
	wat2wasm examples/math.wat -o $(BUILD)/examples/math.wasm
	@echo "== validate and describe"
	$(KILN) validate --describe $(BUILD)/examples/hello.wasm $(BUILD)/examples/math.wasm
	@echo "== run a WASI command (compiled, cached, run natively)"
	$(KILN) run $(BUILD)/examples/hello.wasm
	@echo "== call exports directly"
	$(KILN) run $(BUILD)/examples/math.wasm --invoke fib i32:90 --invoke gcd i32:1071 i32:462
	@echo "== a trap is an error, not a crash"
	$(KILN) run $(BUILD)/examples/math.wasm --invoke div i32:7 i32:0 || echo "(trapped as expected: exit status $$?)"
	@echo "== a C host program (examples/host/host.c) linking a module through its generated header"
	$(BUILD)/kiln_host_example
	@echo "== a C program (examples/raytrace): clang -> wasm32-wasi -> kiln build -> native executable"
	clang --target=wasm32-wasi -O2 -o $(BUILD)/examples/raytrace.wasm examples/raytrace/raytrace.c -lm
	$(KILN) build $(BUILD)/examples/raytrace.wasm -o $(BUILD)/examples/raytrace
	$(BUILD)/examples/raytrace
	@echo "== the same program: built natively with $(CC) -O2, kiln, and the wasm under node (median of 3 runs)"
	$(CC) -O2 -o $(BUILD)/examples/raytrace-native examples/raytrace/raytrace.c -lm
	@python3 examples/raytrace/compare.py --runs 3 native=$(BUILD)/examples/raytrace-native \
	  kiln=$(BUILD)/examples/raytrace "node=node examples/run-node.mjs $(BUILD)/examples/raytrace.wasm"
	@echo "(wasm-interp is not in the table: it cannot run WASI programs)"

# Every suite runs even when an earlier one fails; the exit status says
# whether all passed.
TEST_SUITES := test-unit test-regress test-spec test-e2e test-cross test-validate test-sandbox test-redteam test-differential
TEST_SUITES += test-spec3
TEST_SUITES += test-fuzz

test: deps build
	@passed=0; failed=0; \
	for suite in $(TEST_SUITES); do \
	  if $(MAKE) --no-print-directory $$suite; then passed=$$((passed + 1)); \
	  else failed=$$((failed + 1)); echo "make test: $$suite FAILED"; fi; \
	done; \
	if [ $$failed -eq 0 ]; then echo "make test: all suites passed"; \
	else echo "make test: SOME SUITES FAILED (see above)"; fi; \
	echo "suites: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

test-unit:
	@echo "== unit tests (ctest)"
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-regress:
	@echo "== regression inputs (tests/regress/*.wasm must not crash kiln validate)"
	@python3 tests/validate/regress.py --kiln $(KILN) tests/regress
	@echo "== regression scripts (tests/regress/*.wast, */*.json, tests/regress-3.0/*/*.json), both bounds modes at -O0 and -O2, and for this CPU"
	@status=0; for a in -O0 -O2 "-O0 --guard-pages" "-O2 --guard-pages" "-O2 --cpu native"; do \
	  $(SPEC) $$a --enable-relaxed-simd tests/regress/*.wast tests/regress/*/*.json \
	    tests/regress-3.0/*/*.json || status=1; done; exit $$status

test-spec:
	@if [ -z "$(WASM_TESTSUITE)" ] || [ ! -d "$(WASM_TESTSUITE)" ]; then \
	  echo "== spec suite: SKIPPED (WASM_TESTSUITE is not set or not a directory)"; \
	  echo "   get it with:"; \
	  echo "     git clone https://github.com/WebAssembly/testsuite && git -C testsuite checkout $(SPEC_COMMIT)"; \
	  echo "   then: make test WASM_TESTSUITE=\$$PWD/testsuite"; \
	else \
	  status=0; \
	  for mode in explicit guard; do \
	    flag=; [ $$mode = guard ] && flag=--guard-pages; \
	    for level in $(SPEC_LEVELS); do \
	      echo "== spec suite at $$level, $$mode bounds checks: $(WASM_TESTSUITE)"; \
	      $(SPEC) -j $(JOBS) $$level $$flag --known tests/spec/known-failures.txt "$(WASM_TESTSUITE)" \
	        || status=1; \
	    done; \
	  done; \
	  echo "== spec suite at -O2, guard bounds checks, every instance from a pool (KILN_POOL=1)"; \
	  KILN_POOL=1 $(SPEC) -j $(JOBS) -O2 --guard-pages --known tests/spec/known-failures.txt \
	    "$(WASM_TESTSUITE)" || status=1; \
	  files=; for f in $(SPEC_PARTITION_FILES); do files="$$files $(WASM_TESTSUITE)/$$f.wast"; done; \
	  for config in "-O2" "-O0 --guard-pages"; do \
	    echo "== spec subset split into 3 partitions (parallel compile), $$config"; \
	    $(SPEC) -j $(JOBS) $$config --compile-jobs 3 --known tests/spec/known-failures.txt $$files \
	      || status=1; \
	  done; \
	  exit $$status; \
	fi

# The WebAssembly 3.0 suite (docs/spec-suite.md): once, at -O2 with
# kiln-spec's default explicit bounds checks, against its own list of
# known failures (most proposal scripts: kiln implements 2.0 + SIMD).
test-spec3:
	@if [ -z "$(WASM_TESTSUITE3)" ] || [ ! -d "$(WASM_TESTSUITE3)" ]; then \
	  echo "== spec suite 3.0: SKIPPED (WASM_TESTSUITE3 is not set or not a directory)"; \
	  echo "   point it at the converted suite, e.g. make test-spec3 WASM_TESTSUITE3=../shared/testsuite-3.0"; \
	else \
	  echo "== spec suite 3.0 at -O2, explicit bounds checks: $(WASM_TESTSUITE3)"; \
	  $(SPEC) -j $(JOBS) -O2 --by-feature --known tests/spec/known-failures-3.0.txt \
	    "$(WASM_TESTSUITE3)"; \
	fi

test-e2e:
	@echo "== end-to-end: C programs built natively and with kiln build (tests/e2e)"
	python3 tests/e2e/run.py --kiln $(KILN) -j $(JOBS)
	@echo "== end-to-end, explicit bounds checks (guard pages are the default): memory-heavy programs"
	python3 tests/e2e/run.py --kiln $(KILN) -j $(JOBS) --bounds-checks explicit \
	  bigmem bulk_memory trap_oob escape_attempts matrix hashmap_words simd_intrin_lanes

# Cross targets (tests/cross/run.py, docs/cli.md#kiln-build): `kiln build
# --target` executables for aarch64 and riscv64 run under qemu-user against
# the host's build of the same wasm, both bounds modes, and a spec subset
# through kiln-spec built for each target.
.PHONY: test-cross
test-cross:
	@echo "== cross targets: aarch64-linux-gnu and riscv64-linux-gnu under qemu-user (tests/cross)"
	cmake --build $(BUILD) -j$(JOBS) --target kiln-cross-runtimes
	python3 tests/cross/run.py --build $(BUILD) -j $(JOBS) \
	  $(if $(WASM_TESTSUITE),--testsuite "$(WASM_TESTSUITE)")

test-validate:
	@echo "== kiln validate vs wasm-validate on mutated modules"
	python3 tests/validate/mutate.py --kiln $(KILN) --count $(VALIDATE_COUNT) \
	  --seed 1 --out $(BUILD)/validate-disagreements \
	  $(if $(WASM_TESTSUITE),--testsuite "$(WASM_TESTSUITE)")

fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -G "Unix Makefiles" -DCMAKE_C_COMPILER=clang-19 \
	  -DKILN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_decode

fuzz: fuzz-build
	python3 tests/fuzz/gather-seeds.py --out $(FUZZ_BUILD)/corpus \
	  $(if $(WASM_TESTSUITE),--testsuite "$(WASM_TESTSUITE)") examples
	@mkdir -p $(FUZZ_BUILD)/crashes
	$(FUZZ_BUILD)/fuzz_decode -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -artifact_prefix=$(FUZZ_BUILD)/crashes/ $(FUZZ_BUILD)/corpus

# Compile-path fuzzer (tests/fuzz/fuzz_compile.c): decode through emit,
# seeded with the spec suite's modules and binaryen-generated ones.
fuzz-compile: fuzz-build
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_compile
	python3 tests/fuzz/gather-seeds.py --out $(FUZZ_BUILD)/corpus-compile \
	  $(if $(WASM_TESTSUITE),--testsuite "$(WASM_TESTSUITE)") examples
	python3 tests/fuzz/differential/gen_seeds.py --out $(FUZZ_BUILD)/corpus-compile --count 200
	@mkdir -p $(FUZZ_BUILD)/crashes-compile
	$(FUZZ_BUILD)/fuzz_compile -max_total_time=$(FUZZ_TIME) -timeout=300 -rss_limit_mb=4096 \
	  -artifact_prefix=$(FUZZ_BUILD)/crashes-compile/ $(FUZZ_BUILD)/corpus-compile

# Adversarial sandbox suite (tests/sandbox/): every case in every bounds
# mode the compiler supports, canary pages checked after each.
test-sandbox:
	@echo "== sandbox: adversarial modules (tests/sandbox/cases)"
	cmake --build $(BUILD) -j$(JOBS) --target kiln-sandbox
	$(BUILD)/kiln-sandbox --wat2wasm wat2wasm --work $(BUILD)/sandbox \
	  $$($(KILN) compile --help 2>&1 | grep -q -- --bounds-checks && echo --guard) tests/sandbox/cases

# Red-team shapes (tests/redteam/): pathological modules (huge counts,
# deep nesting, wide value groups, lying encodings) at their small sizes
# through validate, compile, run and build, each outcome checked against
# the one the shape expects, with time and memory bounds.  Without
# --quick, run.py takes them at the red team's sizes (many minutes).
test-redteam:
	@echo "== red team: pathological module shapes (tests/redteam/run.py --quick)"
	python3 tests/redteam/run.py --quick --kiln $(KILN) --timeout 60

# Differential testing (tests/fuzz/differential/): binaryen-generated
# modules run by kiln, binaryen's interpreter and node; bounded seeded
# batches in both bounds modes: DIFF_COUNT modules (seed 1) with guard
# pages, kiln's default, and DIFF_EXPLICIT_COUNT others (seed 2) with
# explicit checks; then WIDE_COUNT programs that move groups of more than
# 16 values (tests/fuzz/wide_values.py) against wabt's interpreter.
DIFF_COUNT ?= 200
DIFF_EXPLICIT_COUNT ?= 100
WIDE_COUNT ?= 40
test-differential:
	@echo "== differential: kiln vs binaryen vs node ($(DIFF_COUNT) guard + $(DIFF_EXPLICIT_COUNT) explicit modules)"
	cmake --build $(BUILD) -j$(JOBS) --target kiln-diff
	@status=0; \
	python3 tests/fuzz/differential/run.py --kiln-diff $(BUILD)/kiln-diff --count $(DIFF_COUNT) \
	  --seed 1 --bounds guard --strict -j $(JOBS) --out $(BUILD)/differential || status=1; \
	python3 tests/fuzz/differential/run.py --kiln-diff $(BUILD)/kiln-diff --count $(DIFF_EXPLICIT_COUNT) \
	  --seed 2 --bounds explicit -j $(JOBS) --out $(BUILD)/differential || status=1; \
	echo "== wide values: $(WIDE_COUNT) programs of 17- and 20-value groups vs wabt's interpreter"; \
	python3 tests/fuzz/wide_values.py --spec $(SPEC) --count $(WIDE_COUNT) --seed 1 \
	  --keep $(BUILD)/wide-values || status=1; \
	exit $$status

# Bounded fuzz batch (tests/fuzz/batch.py): both libFuzzer targets under
# ASan+UBSan with clang-19 in $(FUZZ_BUILD)/, fixed seeds and run counts
# (about a minute each), failing on any crash, leak, timeout or contract
# violation.  Without libFuzzer it replays the seeds instead, and says so.
FUZZ_RUNS_DECODE ?= 200000
FUZZ_RUNS_COMPILE ?= 3000
test-fuzz:
	@echo "== fuzz: fuzz_decode $(FUZZ_RUNS_DECODE) runs, fuzz_compile $(FUZZ_RUNS_COMPILE) runs (seed 1)"
	python3 tests/fuzz/batch.py --build $(FUZZ_BUILD) -j $(JOBS) \
	  --decode-runs $(FUZZ_RUNS_DECODE) --compile-runs $(FUZZ_RUNS_COMPILE) \
	  $(if $(WASM_TESTSUITE),--testsuite "$(WASM_TESTSUITE)")

# Benchmarks (bench/README.md): every kernel on native clang/gcc, kiln,
# wasm2c, node and wasm-interp; results in $(BUILD)/bench/.  Options go
# through BENCH_ARGS, e.g. `make bench BENCH_ARGS=--quick`.  A kiln that
# does not build only skips the kiln engines.
bench: deps
	@$(MAKE) --no-print-directory build || echo "make bench: kiln did not build; its engines will be skipped"
	python3 bench/harness/run.py --kiln $(KILN) --out $(BUILD)/bench $(BENCH_ARGS)

# Compile speed (docs/benchmarks.md, "Compile speed"): kiln compile's CPU
# and wall time and peak RSS per MB of wasm at -O0/-O1/-O2, linearity over
# generated modules, -j1 vs -j2; results in $(BUILD)/bench-compile/.
# Options through BENCH_COMPILE_ARGS, e.g. "--runs 3 --update-docs".
bench-compile: deps build
	python3 bench/compile/run.py --kiln $(KILN) --out $(BUILD)/bench-compile $(BENCH_COMPILE_ARGS)

# The same on real applications (issue #13): CRuby, Yosys and Flite from
# npm (fetched once, pinned), kiln's default -j, CPU s per MB at -O0/-O2;
# results in $(BUILD)/bench-compile/compile-npm.md.
bench-compile-npm: build
	python3 bench/compile/run.py --npm --levels O0,O2 --kiln $(KILN) --out $(BUILD)/bench-compile $(BENCH_COMPILE_ARGS)

# Incremental recompiles (issue #13): CRuby cold with an empty partition
# cache, then with one i32.const changed, then unchanged, at -O0 and -O2
# (bench/compile/incremental.py; the -O2 cold compile takes ~450 CPU-s).
bench-compile-incremental: build
	python3 bench/compile/incremental.py --npm cruby --kiln $(KILN) --out $(BUILD)/bench-compile

# CRuby's run time once compiled (issue #13: within 5% of the -O2
# reference in docs/benchmarks.md): the npm module with a `_start`
# (bench/compile/ruby_command.py), `kiln build -O2 --trap-unknown-imports`,
# ruby_bench.rb 5 times, median user CPU, output checked against node.
# Options through BENCH_RUBY_ARGS, e.g. "--levels O0,O1,O2 --runs 11" or
# "--kiln base=../main/build/kiln --kiln new=build/kiln" to compare two.
bench-compile-ruby: build
	python3 bench/compile/ruby_run.py --kiln $(KILN) --out $(BUILD)/bench-compile $(BENCH_RUBY_ARGS)

# Instantiation (docs/benchmarks.md, "Instantiation"): instantiate + call +
# free of a 17-page module with a 64 KiB data segment, with and without a
# pool, and resident memory per idle instance with 10,000 alive.
bench-instantiate: build
	cmake --build $(BUILD) --target bench_instantiate
	$(BUILD)/bench/instantiate/bench_instantiate $(BENCH_INSTANTIATE_ARGS)

# The policy host (examples/policy-host, docs/embedding.md): 20 requests
# and their verdicts, then the hostile policy under the time and memory
# limits; bench-policy: 20,000 requests against node (docs/benchmarks.md).
demo-policy: build
	cmake --build $(BUILD) --target kiln_policy_host
	python3 examples/policy-host/gen_requests.py --count 20 | $(BUILD)/kiln_policy_host
	@echo "== the hostile policy: loops, out-of-bounds reads, memory hogs, deep recursion"
	python3 examples/policy-host/gen_requests.py --count 12 --seed 2 | \
	  $(BUILD)/kiln_policy_host --policies hostile --timeout-ms 20 --stats

bench-policy: build
	cmake --build $(BUILD) --target kiln_policy_host
	sh bench/policy/run.sh $(BUILD) $(BENCH_POLICY_COUNT)

# The actor host (examples/actor-host, docs/embedding.md): 2,000 actors
# pass 2,000 tokens around a ring on 2 threads while actor 7 traps on every
# 5th message and is restarted; actors 0-8, the summary and
# the figures.  bench-actor: messages/s and memory per actor, every
# counter checked (docs/benchmarks.md).
demo-actor: build
	cmake --build $(BUILD) --target kiln_actor_host
	$(BUILD)/kiln_actor_host --actors 2000 --hostile 7 --stats | awk '!/^actor / || $$2 <= 8'

bench-actor: build
	cmake --build $(BUILD) --target kiln_actor_host
	sh bench/actor/run.sh $(BUILD)

PREFIX ?= /usr/local
.PHONY: install deb
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

deb: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf build build-* $(BUILD) $(FUZZ_BUILD)
