# Runs one libFuzzer target for a bounded time: cmake -DNAME=classify|lexicon|webhooks
# -DCLANGXX=... -DSOURCE_DIR=<repo> -DFUZZ_BUILD=<dir> -DSECONDS=n [-DGENERATOR=...]
# [-DMAKE_PROGRAM=...] -P run_fuzzer.cmake
# With -DNAME=all it only builds the three targets (the `fuzzers` build target).
#
# 1. configures (once) and builds tests/fuzz/standalone with clang++ into
#    FUZZ_BUILD, under a file lock since the fuzz tests may run in parallel;
# 2. gathers seeds: tests/fuzz/corpus/NAME/ plus, for classify, the texts of
#    ../shared/data/classify/dev.jsonl, for webhooks its lines as JSON bodies,
#    for lexicon intake/lexicon/vi.toml;
# 3. runs the fuzzer for SECONDS; any crash, sanitizer report, leak or
#    timeout fails, and the offending input is printed (hex) and kept in
#    FUZZ_BUILD/artifacts/.
cmake_minimum_required(VERSION 3.25)

if(DEFINED FAIL)
  message(FATAL_ERROR "${FAIL}")
endif()
if(NAME STREQUAL "all")
  set(SECONDS 0)
  set(build_targets fuzz_classify fuzz_lexicon fuzz_webhooks)
else()
  set(build_targets fuzz_${NAME})
endif()
foreach(v NAME CLANGXX SOURCE_DIR FUZZ_BUILD SECONDS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${v}=... is required")
  endif()
endforeach()

cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
set(fuzzer "${FUZZ_BUILD}/fuzz_${NAME}")

# ---- 1. build ------------------------------------------------------------------
file(MAKE_DIRECTORY "${FUZZ_BUILD}")
file(LOCK "${FUZZ_BUILD}/build.lock" GUARD PROCESS TIMEOUT 1500 RESULT_VARIABLE lock_rc)
if(NOT lock_rc EQUAL 0)
  message(FATAL_ERROR "cannot lock ${FUZZ_BUILD}/build.lock: ${lock_rc}")
endif()

if(NOT EXISTS "${FUZZ_BUILD}/CMakeCache.txt")
  # Can this clang link a libFuzzer target at all? (Debian: libclang-rt-14-dev.)
  set(probe_dir "${FUZZ_BUILD}/probe")
  file(MAKE_DIRECTORY "${probe_dir}")
  file(WRITE "${probe_dir}/probe.cpp"
    "#include <cstddef>\n#include <cstdint>\n"
    "extern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n")
  execute_process(
    COMMAND "${CLANGXX}" -fsanitize=fuzzer,address,undefined "${probe_dir}/probe.cpp" -o "${probe_dir}/probe"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR
      "${CLANGXX} cannot build a libFuzzer target (-fsanitize=fuzzer,address,undefined):\n${out}\n"
      "Install the clang runtime (Debian: apt-get install clang libclang-rt-14-dev, or `make test-deps`).")
  endif()

  set(gen_args)
  if(GENERATOR)
    list(APPEND gen_args -G "${GENERATOR}")
  endif()
  if(MAKE_PROGRAM)
    list(APPEND gen_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/fuzz/standalone" -B "${FUZZ_BUILD}" ${gen_args}
            "-DCMAKE_CXX_COMPILER=${CLANGXX}" -DCMAKE_BUILD_TYPE=
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    file(REMOVE "${FUZZ_BUILD}/CMakeCache.txt")
    message(FATAL_ERROR "configuring the fuzz build failed:\n${out}")
  endif()
endif()

execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${FUZZ_BUILD}" --target ${build_targets} --parallel ${jobs}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
file(LOCK "${FUZZ_BUILD}/build.lock" RELEASE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${build_targets} (clang++) failed:\n${out}")
endif()
if(NAME STREQUAL "all")
  return()
endif()

# ---- 2. seeds ------------------------------------------------------------------
set(seeds "${FUZZ_BUILD}/seeds/${NAME}")     # rebuilt every run
set(corpus "${FUZZ_BUILD}/corpus/${NAME}")   # what the fuzzer finds; kept between runs
file(REMOVE_RECURSE "${seeds}")
file(MAKE_DIRECTORY "${seeds}" "${corpus}" "${FUZZ_BUILD}/artifacts")
file(GLOB seed_files "${SOURCE_DIR}/tests/fuzz/corpus/${NAME}/*")
if(seed_files)
  file(COPY ${seed_files} DESTINATION "${seeds}")
endif()

set(dev_jsonl "${SOURCE_DIR}/../shared/data/classify/dev.jsonl")
if(NAME STREQUAL "classify" AND EXISTS "${dev_jsonl}")
  file(STRINGS "${dev_jsonl}" lines ENCODING UTF-8)
  set(i 0)
  foreach(line IN LISTS lines)
    string(JSON text ERROR_VARIABLE json_error GET "${line}" text)
    if(NOT json_error)
      math(EXPR i "${i} + 1")
      file(WRITE "${seeds}/dev-${i}.txt" "${text}")
    endif()
  endforeach()
elseif(NAME STREQUAL "webhooks" AND EXISTS "${dev_jsonl}")
  file(STRINGS "${dev_jsonl}" lines ENCODING UTF-8)
  set(i 0)
  foreach(line IN LISTS lines)
    math(EXPR i "${i} + 1")
    if(i LESS_EQUAL 10)
      file(WRITE "${seeds}/dev-${i}.json" "${line}")
    endif()
  endforeach()
elseif(NAME STREQUAL "lexicon" AND EXISTS "${SOURCE_DIR}/intake/lexicon/vi.toml")
  file(COPY "${SOURCE_DIR}/intake/lexicon/vi.toml" DESTINATION "${seeds}")
endif()

# ---- 3. fuzz -------------------------------------------------------------------
set(args
  -max_total_time=${SECONDS}
  -rss_limit_mb=2048
  -timeout=10
  -print_final_stats=1
  "-artifact_prefix=${FUZZ_BUILD}/artifacts/${NAME}-")
if(NAME STREQUAL "lexicon")
  list(APPEND args -max_len=65536)
else()
  list(APPEND args -max_len=8192)
endif()
if(EXISTS "${SOURCE_DIR}/tests/fuzz/${NAME}.dict")
  list(APPEND args "-dict=${SOURCE_DIR}/tests/fuzz/${NAME}.dict")
endif()

file(GLOB old_artifacts "${FUZZ_BUILD}/artifacts/${NAME}-*")
if(old_artifacts)
  file(REMOVE ${old_artifacts})
endif()

set(ENV{ASAN_OPTIONS} "detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
message(STATUS "${fuzzer} ${args} ${corpus} ${seeds}")
execute_process(COMMAND "${fuzzer}" ${args} "${corpus}" "${seeds}" RESULT_VARIABLE rc)

if(NOT rc EQUAL 0)
  set(report "fuzz_${NAME} failed (exit ${rc}).")
  file(GLOB artifacts "${FUZZ_BUILD}/artifacts/${NAME}-*")
  foreach(a IN LISTS artifacts)
    file(SIZE "${a}" size)
    file(READ "${a}" hex LIMIT 4096 HEX)
    string(APPEND report "\n  input ${a} (${size} bytes), hex: ${hex}")
  endforeach()
  if(artifacts)
    string(APPEND report "\n  replay: ${fuzzer} <input>")
  endif()
  message(FATAL_ERROR "${report}")
endif()
