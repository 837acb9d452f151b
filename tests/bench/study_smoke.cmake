# bench/study.sh --smoke, run twice on one directory (see tests.cmake). Variables: JOULEVAL, SOURCE, OUT.
file(REMOVE_RECURSE ${OUT})
set(driver ${SOURCE}/bench/study.sh)
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=JOULEVAL_DATA_DIR --unset=LLAMA_BIN_DIR
                        bash ${driver} --smoke --dir ${OUT} --jouleval ${JOULEVAL}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench/study.sh --smoke exited ${rc}")
endif()
foreach(stage build data models quantize speed peers sweep tables report)
  if(NOT EXISTS ${OUT}/stages/${stage}.done)
    message(FATAL_ERROR "stage ${stage} did not finish (no ${OUT}/stages/${stage}.done)")
  endif()
  if(NOT out MATCHES "== ${stage}: complete")
    message(FATAL_ERROR "stage ${stage} did not say complete")
  endif()
endforeach()
file(READ ${OUT}/tables.md tables)
foreach(section "Peers: scoring against llama-perplexity" "Peers: throughput against llama-bench"
        "Peers: GSM8K generation against llama-batched-bench" "Precisions:" "Hardware:" "Generation: GSM8K"
        "Engine settings")
  string(FIND "${tables}" "### ${section}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "tables.md has no section '${section}'")
  endif()
endforeach()
# Every precision of the tiny model is in the precision table (int8 and int4 against fp16).
foreach(row "| int8 | fp16 |" "| int4 | fp16 |")
  string(FIND "${tables}" "${row}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "tables.md: the precision table has no row '${row}'")
  endif()
endforeach()
# Each peer was measured ("ok") or its tool is missing ("unavailable: TOOL not built"); nothing else.
file(GLOB statuses ${OUT}/peers/*.status)
list(LENGTH statuses n)
if(n LESS 12)  # 3 precisions x (llama-bench, 2 llama-perplexity, llama-batched-bench)
  message(FATAL_ERROR "expected 12 peer statuses, found ${n}")
endif()
foreach(f ${statuses})
  file(READ ${f} s)
  if(NOT s MATCHES "^(ok|unavailable: llama-[a-z-]+ not built)\n$")
    message(FATAL_ERROR "${f}: ${s}")
  endif()
endforeach()
# The matched shape of the generation peer comes from jouleval's GSM8K cell: 2 prompts, 32 tokens
# each (the demo preset's limit: a random model never stops early).
file(READ ${OUT}/peers/tiny-f16.fp16.batched-bench.shape shape)
if(NOT shape MATCHES "^[0-9]+ 32 2\n$")
  message(FATAL_ERROR "generation shape '${shape}', expected 'N 32 2'")
endif()
# Again: every stage is skipped as done, exit 0.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=JOULEVAL_DATA_DIR --unset=LLAMA_BIN_DIR
                        bash ${driver} --smoke --dir ${OUT} --jouleval ${JOULEVAL}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "== report: done earlier")
  message(FATAL_ERROR "second run: exit ${rc}\n${out}${err}")
endif()
