# `jouleval run --model tiny.gguf --precision fp16,int8` from the model's directory: the int8 variant
# is written next to the model (./tiny.Q8_0.gguf) and both cells finish.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${JOULEVAL} synth --preset tiny -q -o tiny.gguf WORKING_DIRECTORY ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "synth failed (${rc})")
endif()
execute_process(COMMAND ${JOULEVAL} run --model tiny.gguf --precision fp16,int8 --task mmlu --samples
                        --repetitions 1 --idle 0 --threads 1 --db r.db
                WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "run failed (${rc}):\n${err}")
endif()
if(NOT EXISTS ${OUT}/tiny.Q8_0.gguf OR NOT out MATCHES "2 new")
  message(FATAL_ERROR "expected tiny.Q8_0.gguf next to the model and 2 new cells:\n${out}")
endif()
