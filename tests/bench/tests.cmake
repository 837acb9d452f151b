# The benchmark driver's smoke test (docs/benchmarks.md, "Reproducing"): every stage of bench/study.sh
# on the tiny synthetic model with the built-in samples, CPU only, then again (every stage skipped as
# done). Labelled "bench" (`ctest -L bench`). Fails when any stage fails, when the tables miss a
# section, or when a peer is neither measured nor "unavailable". Peers run when llama.cpp's tools are
# built beside jouleval (-DJOULEVAL_LLAMA_TOOLS=ON), else they must say "unavailable: ... not built".
add_test(NAME bench.study_smoke
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DSOURCE=${PROJECT_SOURCE_DIR}
          -DOUT=${CMAKE_BINARY_DIR}/bench-smoke -P ${CMAKE_CURRENT_LIST_DIR}/study_smoke.cmake)
set_tests_properties(bench.study_smoke PROPERTIES LABELS bench TIMEOUT 900)
# Bad usage is refused with exit 2 and a message naming the argument, before anything is measured.
add_test(NAME bench.study_usage
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DSOURCE=${PROJECT_SOURCE_DIR}
          -DOUT=${CMAKE_BINARY_DIR}/bench-usage -P ${CMAKE_CURRENT_LIST_DIR}/study_usage.cmake)
set_tests_properties(bench.study_usage PROPERTIES LABELS bench TIMEOUT 120)
