# JOULEVAL_FUZZ: jouleval's own code compiled with libFuzzer coverage, AddressSanitizer and UBSan, and
# the harnesses of tests/fuzz (docs/fuzzing.md). Needs clang (libFuzzer is part of clang's runtime,
# Debian package libclang-rt-14-dev). llama.cpp keeps its usual flags; the fuzz build normally links
# the llama.cpp libraries of ./build (JOULEVAL_LLAMA_PREBUILT) so that it compiles only jouleval.

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "JOULEVAL_FUZZ needs clang (configure with -DCMAKE_C_COMPILER=clang-14 "
                      "-DCMAKE_CXX_COMPILER=clang++-14, or use scripts/fuzz.sh)")
endif()
if(JOULEVAL_SANITIZE)
  message(FATAL_ERROR "JOULEVAL_FUZZ already builds with AddressSanitizer and UBSan: leave JOULEVAL_SANITIZE off")
endif()

# fuzzer-no-link: coverage instrumentation for the library code; only the harness executables link
# libFuzzer's main (tests/fuzz/CMakeLists.txt).
set(JOULEVAL_FUZZ_SANITIZERS address,undefined)
target_compile_options(jouleval_flags INTERFACE -fsanitize=fuzzer-no-link,${JOULEVAL_FUZZ_SANITIZERS}
                                                -fno-sanitize-recover=undefined -g -fno-omit-frame-pointer)
target_link_options(jouleval_flags INTERFACE -fsanitize=${JOULEVAL_FUZZ_SANITIZERS})

enable_testing()
add_subdirectory(${CMAKE_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/fuzz)
