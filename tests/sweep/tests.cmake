# The sweep tests run the real `jouleval` program (kill-and-resume) and the demo end to end.
if(TARGET test_sweep)
  add_dependencies(test_sweep jouleval_cli)
endif()
add_test(NAME sweep.demo_end_to_end
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/demo-test
          -P ${CMAKE_CURRENT_LIST_DIR}/demo_end_to_end.cmake)
set_tests_properties(sweep.demo_end_to_end PROPERTIES TIMEOUT 900)

# Bad input: a clear message naming the file, exit code 3, nothing measured.
add_test(NAME sweep.cli.missing_model_is_bad_input
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/missing-model-test
          -P ${CMAKE_CURRENT_LIST_DIR}/missing_model.cmake)

# A model named by a bare file name in the working directory, quantized on the fly next to it.
add_test(NAME sweep.cli.quantize_on_the_fly_bare_file_name
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/bare-name-test
          -P ${CMAKE_CURRENT_LIST_DIR}/bare_file_name.cmake)

# Slurm job array: script, model preparation, two array tasks run by hand, shards merged.
add_test(NAME sweep.cli.emit_slurm_array_and_merge
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/slurm-test
          -P ${CMAKE_CURRENT_LIST_DIR}/slurm.cmake)
# Its own measurement lock: the array tasks take turns with each other, not with other tests.
set_tests_properties(sweep.cli.emit_slurm_array_and_merge PROPERTIES TIMEOUT 600
                     ENVIRONMENT "JOULEVAL_MEASURE_LOCK=${CMAKE_BINARY_DIR}/slurm-test.measure.lock")

# Short windows filled by repeating the work (fake NVML meter), and not without a meter.
add_test(NAME sweep.cli.short_window_is_filled
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/min-window-test
          -DFAKE_NVML=$<TARGET_FILE:fake_nvml> -P ${CMAKE_CURRENT_LIST_DIR}/min_window.cmake)
set_tests_properties(sweep.cli.short_window_is_filled PROPERTIES TIMEOUT 600)

# Exit codes and messages of rejected commands (usage 2, bad input 3, unavailable 4).
add_test(NAME sweep.cli.honest_exits
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/honest-exits-test
          -DHAVE_GPU_BACKEND=${JOULEVAL_CUDA} -P ${CMAKE_CURRENT_LIST_DIR}/honest_exits.cmake)

# The Slurm job array on a real single-node cluster (munged, slurmctld, slurmd started by the test on
# free ports of localhost), submitted with sbatch, its shards merged. Needs root and Debian's slurm-wlm
# and munge (scripts/setup.sh): skipped without them, a failure under CI=true. The script bounds itself
# (120 s, daemons 150 s) inside ctest's limit, so that it always stops what it started.
add_test(NAME sweep.cli.slurm_cluster_array_and_merge
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/slurm_cluster_test.sh $<TARGET_FILE:jouleval_cli> 120)
set_tests_properties(sweep.cli.slurm_cluster_array_and_merge PROPERTIES TIMEOUT 200 SKIP_RETURN_CODE 77)

# The phases of a generation cell: the steady-state line of `run` and `export --table phases`, with a
# fake GPU meter and with none (docs/energy.md "Phases of generation").
add_test(NAME sweep.cli.generation_phases
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/phases-test
          -DFAKE_NVML=$<TARGET_FILE:fake_nvml> -P ${CMAKE_CURRENT_LIST_DIR}/phases_cli.cmake)
set_tests_properties(sweep.cli.generation_phases PROPERTIES TIMEOUT 600)

# Multi-GPU placements on the command line: usage errors, GPUs that are not there, the Slurm GPU
# request, and the GPUs metered on the fake NVML with several devices.
add_test(NAME sweep.cli.placement_gpus
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/placement-gpus-test
          -DHAVE_GPU_BACKEND=${JOULEVAL_CUDA} -DFAKE_NVML=$<TARGET_FILE:fake_nvml>
          -P ${CMAKE_CURRENT_LIST_DIR}/placement_gpus.cmake)

# A quantized file keeps its source's identity: `quantize` + `run -m` and `run --precision` give one
# cell; a stale or malformed made-from record is ignored with a note.
add_test(NAME sweep.cli.quantized_file_keeps_source_identity
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/quantized-identity-test
          -P ${CMAKE_CURRENT_LIST_DIR}/quantized_identity.cmake)
set_tests_properties(sweep.cli.quantized_file_keeps_source_identity PROPERTIES TIMEOUT 300)
