# `jouleval run` on a model file that does not exist: exit code 3, the path in the message.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${JOULEVAL} run --model ${OUT}/no-such-model.gguf --task mmlu --samples --db ${OUT}/r.db
                --quiet OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 3)
  message(FATAL_ERROR "expected exit code 3, got ${rc}:\n${err}")
endif()
if(NOT err MATCHES "no-such-model.gguf")
  message(FATAL_ERROR "the error does not name the missing file:\n${err}")
endif()
