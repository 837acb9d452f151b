# `jouleval export-tasks` as a user runs it: llama-perplexity task files from the fixture data, and
# the errors for what it cannot export.
add_test(NAME tasks.cli.export_tasks
  COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DDATA=${JOULEVAL_TEST_DATA}/tasks/layout_a
          -DOUT=${CMAKE_BINARY_DIR}/export-tasks-test -P ${CMAKE_CURRENT_LIST_DIR}/export_tasks.cmake)
