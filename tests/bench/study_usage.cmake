# bench/study.sh refuses bad usage with exit 2 and a message naming the argument; a failing stage
# stops the driver with exit 1 and is not marked done. Variables: JOULEVAL, SOURCE, OUT.
file(REMOVE_RECURSE ${OUT})
set(driver ${SOURCE}/bench/study.sh)
function(expect code pattern)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=JOULEVAL_DATA_DIR --unset=JOULEVAL --unset=LLAMA_BIN_DIR
                          bash ${driver} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL ${code} OR NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "study.sh ${ARGN}: exit ${rc} (expected ${code}), output:\n${out}${err}\n"
                        "expected to match: ${pattern}")
  endif()
endfunction()
expect(2 "unknown stage 'sweeep'" --stages sweeep --dir ${OUT})
expect(2 "unknown argument --frobnicate" --frobnicate)
expect(2 "--dir needs a value" --dir)
expect(2 "expected a whole number, got 'ten'" --seconds ten)
expect(2 "--sweep-gpus: expected GPU indices or UUIDs" --sweep-gpus "0,,1")
expect(2 "--sweep-gpus: expected GPU indices or UUIDs" --sweep-gpus "0,../x")
expect(2 "--fewshot-sampler: expected lm-eval or first_n, got 'random'" --fewshot-sampler random)
# The generation peer's shape when jouleval's prompts shared a prefix: the export counts the prefix
# once, so 4 prompts of a 1000-token shared prefix and 15 tokens each are 1000 + 4 x 15 = 1060
# prompt tokens, and each sequence of the peer gets 1015 (and the prefix is passed on: 1000).
file(MAKE_DIRECTORY ${OUT})
file(WRITE ${OUT}/shape.csv "items,parallel,prompt_tokens,generated_tokens\n4,0,1060,128\n")
execute_process(COMMAND python3 ${SOURCE}/bench/tables.py --shape --sequences 4 --shared 1000
                INPUT_FILE ${OUT}/shape.csv RESULT_VARIABLE rc OUTPUT_VARIABLE shape ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT shape STREQUAL "1015 32 4 1000\n")
  message(FATAL_ERROR "tables.py --shape --shared: exit ${rc}, '${shape}' (expected '1015 32 4 1000'): ${err}")
endif()
# No data and no --smoke: the data stage fails, names the options, and the driver exits 1.
expect(1 "give --data DIR or set JOULEVAL_DATA_DIR" --stages build,data --dir ${OUT} --jouleval ${JOULEVAL})
# A missing binary: the build stage fails naming it.
expect(1 "no-such-jouleval is not an executable" --smoke --stages build --dir ${OUT}/b --jouleval ${OUT}/no-such-jouleval)
if(EXISTS ${OUT}/b/stages/build.done)
  message(FATAL_ERROR "a failed build stage was marked done")
endif()
# A failing stage stops the driver: bad data makes the data stage fail (exit 1), later stages do not run.
file(MAKE_DIRECTORY ${OUT}/empty-data)
expect(1 "data: FAILED|== data: FAILED" --stages data,models --dir ${OUT} --jouleval ${JOULEVAL} --data ${OUT}/empty-data)
if(EXISTS ${OUT}/stages/models.done)
  message(FATAL_ERROR "a stage after a failed one ran")
endif()
# The time budget: a step that may not end within --seconds is not started; exit 5 (run again), and
# the stage is not marked done.
expect(5 "stopped at the time budget; run the same command again" --smoke --stages speed --seconds 1
       --dir ${OUT}/c --jouleval ${JOULEVAL})
if(EXISTS ${OUT}/c/stages/speed.done)
  message(FATAL_ERROR "a stage stopped at the budget was marked done")
endif()
