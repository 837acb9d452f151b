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
# Peers that fail and peers that answer, through stand-ins of llama.cpp's tools (fake-llama/): the
# failed llama-bench is "failed (exit 3)" in the tables, the driver goes on (tables still written)
# and exits 1; the peers stage is not marked done; llama-perplexity's claimed all-correct run agrees
# with jouleval on exactly the items jouleval got right; llama-batched-bench's 2 s for 2 x 32 tokens
# are 32 generated tokens/s.
file(GLOB old ${OUT}/peers/*.meter.json ${OUT}/peers/*.status)
if(old)
  file(REMOVE ${old})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=JOULEVAL_DATA_DIR
                        bash ${driver} --smoke --dir ${OUT} --jouleval ${JOULEVAL} --redo --stages peers,tables
                        --llama-bin ${CMAKE_CURRENT_LIST_DIR}/fake-llama
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "a failed peer: exit ${rc}, expected 1")
endif()
if(NOT out MATCHES "peer tiny-f16.fp16.llama-bench: failed \\(exit 3\\)" OR NOT out MATCHES "== tables: complete")
  message(FATAL_ERROR "a failed peer must be reported and the driver must go on to the tables")
endif()
if(EXISTS ${OUT}/stages/peers.done)
  message(FATAL_ERROR "the peers stage was marked done although a peer failed")
endif()
file(READ ${OUT}/tables.md tables)
string(REGEX MATCH "\\| tiny-f16 \\| fp16 \\| failed \\(exit 3\\) \\|" bench_row "${tables}")
if(NOT bench_row)
  message(FATAL_ERROR "tables.md: no failed llama-bench row")
endif()
# jouleval's MMLU 5-shot items of the fp16 cell, from `jouleval export` (not from the scripts under test).
execute_process(COMMAND ${JOULEVAL} export ${OUT}/study.db --table items --format csv --columns model,precision,task,shots,correct
                OUTPUT_VARIABLE items RESULT_VARIABLE rc)
string(REGEX MATCHALL "tiny-f16,fp16,mmlu,5,[a-z0-9]+" rows "${items}")
string(REGEX MATCHALL "tiny-f16,fp16,mmlu,5,(true|1)" right "${items}")
list(LENGTH rows n)
list(LENGTH right k)
if(NOT n EQUAL 6)
  message(FATAL_ERROR "expected 6 MMLU items of the fp16 cell, export gave:\n${items}")
endif()
math(EXPR tenths "(${k} * 2000 + ${n}) / (2 * ${n})")  # rounded, as tables.py prints it
math(EXPR whole "${tenths} / 10")
math(EXPR frac "${tenths} % 10")
string(REGEX MATCH "\\| tiny-f16 \\| fp16 \\| MMLU 5-shot \\| ok \\|[^\n]*\\| ${whole}\\.${frac} % of 6 \\|" mc_row "${tables}")
if(NOT mc_row)
  message(FATAL_ERROR "tables.md: MMLU agreement should be ${whole}.${frac} % of 6 (${k} of 6 right)")
endif()
string(REGEX MATCH "\\| tiny-f16 \\| fp16 \\| ok \\| [0-9]+ / 32 / 2 \\|[^\n]*\\| 32 \\| [^|]+ \\|\n" gen_row "${tables}")
if(NOT gen_row)
  message(FATAL_ERROR "tables.md: no llama-batched-bench row with 32 generated tokens/s")
endif()
# A fresh machine: the directory packed into $OUT/study.tar.gz and restored elsewhere keeps its
# finished stages, and the models and quantize stages make the model files again (not packed).
file(REMOVE_RECURSE ${OUT}-pack ${OUT}-restored)
file(MAKE_DIRECTORY ${OUT}-pack)
execute_process(COMMAND ${CMAKE_COMMAND} -E env OUT=${OUT}-pack bash ${driver} --smoke --dir ${OUT} --jouleval ${JOULEVAL}
                        --stages report RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT}-pack/study.tar.gz)
  message(FATAL_ERROR "packing: exit ${rc}\n${out}${err}")
endif()
execute_process(COMMAND bash ${driver} --smoke --dir ${OUT}-restored --restore ${OUT}-pack/study.tar.gz
                        --jouleval ${JOULEVAL} --stages models,quantize,tables
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "== tables: done earlier")
  message(FATAL_ERROR "restoring: exit ${rc}\n${out}${err}")
endif()
foreach(f tiny-f16.gguf tiny-f16.Q8_0.gguf tiny-f16.Q4_K_M.gguf)
  if(NOT EXISTS ${OUT}-restored/models/${f})
    message(FATAL_ERROR "restoring: ${f} was not made again")
  endif()
endforeach()
