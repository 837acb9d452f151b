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
set_tests_properties(sweep.cli.emit_slurm_array_and_merge PROPERTIES TIMEOUT 600)

# Short windows filled by repeating the work (fake NVML meter), and not without a meter.
add_test(NAME sweep.cli.short_window_is_filled
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/min-window-test
          -DFAKE_NVML=$<TARGET_FILE:fake_nvml> -P ${CMAKE_CURRENT_LIST_DIR}/min_window.cmake)
set_tests_properties(sweep.cli.short_window_is_filled PROPERTIES TIMEOUT 600)

# Exit codes and messages of rejected commands (usage 2, bad input 3, unavailable 4).
add_test(NAME sweep.cli.honest_exits
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/honest-exits-test
          -DHAVE_GPU_BACKEND=${JOULEVAL_CUDA} -P ${CMAKE_CURRENT_LIST_DIR}/honest_exits.cmake)

# Multi-GPU placements on the command line: usage errors, GPUs that are not there, the Slurm GPU
# request, and the GPUs metered on the fake NVML with several devices.
add_test(NAME sweep.cli.placement_gpus
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/placement-gpus-test
          -DHAVE_GPU_BACKEND=${JOULEVAL_CUDA} -DFAKE_NVML=$<TARGET_FILE:fake_nvml>
          -P ${CMAKE_CURRENT_LIST_DIR}/placement_gpus.cmake)
