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

# A multi-GPU placement in --placements keeps its comma ("cpu,gpus:0,1" is two placements): it used to
# be split into "gpus:0" and "1", and the sweep refused the configuration (seen on a 4xH200).
add_test(NAME bench.study_placement_list
  COMMAND bash -c "rm -rf \"$1\" && \"$2\" --smoke --stages data --placements cpu,gpus:0,1 --dir \"$1\" --jouleval \"$3\" >/dev/null && grep -qx 'placements = \\[\"cpu\",\"gpus:0,1\"\\]' \"$1/configs/study.toml\""
          _ ${CMAKE_BINARY_DIR}/bench-placements ${PROJECT_SOURCE_DIR}/bench/study.sh $<TARGET_FILE:jouleval_cli>)
set_tests_properties(bench.study_placement_list PROPERTIES LABELS bench TIMEOUT 120)
