# ctest: runs the harness FUZZER once on each seed input (tests/fuzz/corpus/HARNESS) and each
# regression input (tests/fuzz/regressions/HARNESS, a past finding); every one must pass without a
# finding (docs/fuzzing.md).
#   cmake -DFUZZER=bin/fuzz_X -DHARNESS=X -DFUZZ_DIR=tests/fuzz -P replay.cmake
file(GLOB _corpus LIST_DIRECTORIES false "${FUZZ_DIR}/corpus/${HARNESS}/*")
file(GLOB _regressions LIST_DIRECTORIES false "${FUZZ_DIR}/regressions/${HARNESS}/*")
if(NOT _corpus)
  message(FATAL_ERROR "no seed inputs in ${FUZZ_DIR}/corpus/${HARNESS}")
endif()
set(_failed)
foreach(_input ${_corpus} ${_regressions})
  execute_process(COMMAND "${FUZZER}" -timeout=25 -rss_limit_mb=2560 "${_input}"
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message("---- ${_input} (exit ${_rc}):\n${_out}")
    list(APPEND _failed "${_input}")
  endif()
endforeach()
list(LENGTH _corpus _n_corpus)
list(LENGTH _regressions _n_regressions)
if(_failed)
  string(REPLACE ";" "\n  " _list "${_failed}")
  message(FATAL_ERROR "${HARNESS}: findings on:\n  ${_list}")
endif()
message("${HARNESS}: ${_n_corpus} seed and ${_n_regressions} regression inputs pass")
