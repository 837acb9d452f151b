# Tests of the `jouleval` program as a user runs it.
add_test(NAME cli.help_lists_every_subcommand
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DSOURCE_DIR=${CMAKE_SOURCE_DIR}/src
          -P ${CMAKE_CURRENT_LIST_DIR}/help_lists_subcommands.cmake)
add_test(NAME cli.version_names_llama_and_backends COMMAND $<TARGET_FILE:jouleval_cli> version)
set_tests_properties(cli.version_names_llama_and_backends PROPERTIES
  PASS_REGULAR_EXPRESSION "llama.cpp v[0-9.]+ [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+.*backends [^\n]*CPU")
add_test(NAME cli.unknown_subcommand_fails COMMAND $<TARGET_FILE:jouleval_cli> frobnicate)
set_tests_properties(cli.unknown_subcommand_fails PROPERTIES WILL_FAIL TRUE)
# lm-evaluation-harness conventions of `run`: option aliases, --limit fractions, --output_path's results
# file and --log_samples (docs/lm-eval.md).
add_test(NAME cli.run_lm_eval_conventions
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/lm-eval-test
          -P ${CMAKE_CURRENT_LIST_DIR}/lm_eval_conventions.cmake)
set_tests_properties(cli.run_lm_eval_conventions PROPERTIES TIMEOUT 600)
# synth and quantize write short logs when stderr is not a terminal.
add_test(NAME cli.progress_in_logs
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DOUT=${CMAKE_BINARY_DIR}/progress-log-test
          -P ${CMAKE_CURRENT_LIST_DIR}/progress_in_logs.cmake)
