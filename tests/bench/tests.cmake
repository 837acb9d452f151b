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

# --sweep-gpus: one sweep per entry on the same database share out the cells; every cell is measured
# once, both sweeps end, and the stage is complete (on the CPU the two take turns on the host's lock).
add_test(NAME bench.study_sweep_gpus
  COMMAND bash -c "rm -rf \"$1\" && \"$2\" --smoke --stages models,quantize,sweep --sweep-gpus 0,1 --dir \"$1\" --jouleval \"$3\" >\"$1.log\" 2>&1 || { cat \"$1.log\"; exit 1; }; test -f \"$1/logs/sweep.gpu-0.log\" -a -f \"$1/logs/sweep.gpu-1.log\" -a -f \"$1/stages/sweep.done\" || exit 1; n=$(\"$3\" export \"$1/study.db\" --format csv --columns precision,task,reps | tail -n +2 | sort | uniq | grep -c ',1$'); echo \"cells measured once: $n\"; test \"$n\" = 9"
          _ ${CMAKE_BINARY_DIR}/bench-sweep-gpus ${PROJECT_SOURCE_DIR}/bench/study.sh $<TARGET_FILE:jouleval_cli>)
set_tests_properties(bench.study_sweep_gpus PROPERTIES LABELS bench TIMEOUT 300)
