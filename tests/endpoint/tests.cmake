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
