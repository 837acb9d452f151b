# The endpoint backend against a real llama-server (built with -DJOULEVAL_LLAMA_SERVER=ON; scripts/test.sh
# turns it on in CI). Without the binary the test is skipped, except in CI, where it fails.
if(TARGET llama-server)
  set(_llama_server $<TARGET_FILE:llama-server>)
else()
  set(_llama_server "")
endif()
add_test(NAME endpoint.real_llama_server
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/llama_server.sh $<TARGET_FILE:jouleval_cli> "${_llama_server}"
          ${CMAKE_BINARY_DIR}/endpoint-llama-server-test)
set_tests_properties(endpoint.real_llama_server PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)

# Usage errors and an unreachable server, as the user sees them (docs/endpoint.md "Errors and exit codes").
add_test(NAME endpoint.model_options_are_refused_with_an_endpoint
  COMMAND $<TARGET_FILE:jouleval_cli> run --endpoint http://127.0.0.1:1 --served-model m --precision int8
          --task gsm8k --samples --db ${CMAKE_BINARY_DIR}/endpoint-usage-test.db)
set_tests_properties(endpoint.model_options_are_refused_with_an_endpoint PROPERTIES
  PASS_REGULAR_EXPRESSION "--precision: not with --endpoint")
add_test(NAME endpoint.an_unreachable_server_is_named
  COMMAND $<TARGET_FILE:jouleval_cli> run --endpoint http://127.0.0.1:1 --served-model m
          --task gsm8k --samples --db ${CMAKE_BINARY_DIR}/endpoint-unreachable-test.db)
set_tests_properties(endpoint.an_unreachable_server_is_named PROPERTIES
  PASS_REGULAR_EXPRESSION "endpoint http://127.0.0.1:1: GET /v1/models \\(the model list\\): cannot connect")
add_test(NAME endpoint.a_bad_slo_is_a_usage_error
  COMMAND $<TARGET_FILE:jouleval_cli> run --endpoint http://127.0.0.1:1 --served-model m --slo-ttft 0
          --task gsm8k --samples --db ${CMAKE_BINARY_DIR}/endpoint-slo-test.db)
set_tests_properties(endpoint.a_bad_slo_is_a_usage_error PROPERTIES
  PASS_REGULAR_EXPRESSION "--slo-ttft 0: must be more than 0")
# The chat API (docs/endpoint.md "Chat completions"): loglikelihood tasks are refused with exit 2 before
# the server is asked anything (it is unreachable here), and an unknown API is a usage error.
add_test(NAME endpoint.chat_refuses_loglikelihood_tasks
  COMMAND bash -c "\"$0\" \"$@\" 2>&1; echo \"exit $?\"" $<TARGET_FILE:jouleval_cli> run --endpoint http://127.0.0.1:1
          --served-model m --endpoint-api chat --task gsm8k,hellaswag --samples
          --db ${CMAKE_BINARY_DIR}/endpoint-chat-usage-test.db)
set_tests_properties(endpoint.chat_refuses_loglikelihood_tasks PROPERTIES
  PASS_REGULAR_EXPRESSION "--endpoint-api chat: loglikelihood tasks \\(hellaswag\\) cannot be scored through the chat API: it has no prompt logprobs.*exit 2")
add_test(NAME endpoint.an_unknown_api_is_a_usage_error
  COMMAND bash -c "\"$0\" \"$@\" 2>&1; echo \"exit $?\"" $<TARGET_FILE:jouleval_cli> run --endpoint http://127.0.0.1:1
          --served-model m --endpoint-api responses --task gsm8k --samples
          --db ${CMAKE_BINARY_DIR}/endpoint-api-usage-test.db)
set_tests_properties(endpoint.an_unknown_api_is_a_usage_error PROPERTIES
  PASS_REGULAR_EXPRESSION "--endpoint-api 'responses': use completions or chat.*exit 2")
add_test(NAME endpoint.a_bad_arrival_rate_is_a_usage_error
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bad_arrival_rate.sh $<TARGET_FILE:jouleval_cli>
          ${CMAKE_BINARY_DIR}/endpoint-arrival-rate-test)
