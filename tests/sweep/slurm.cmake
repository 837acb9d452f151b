# `sweep --emit-slurm`: the job-array script, `--prepare-models`, array tasks run by hand (as Slurm
# would, with SLURM_ARRAY_TASK_ID set), their shards merged; and a --cell index out of range.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
function(run_ok)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

run_ok(${JOULEVAL} synth --preset tiny -q -o ${OUT}/tiny.gguf)
file(WRITE ${OUT}/sweep.toml "[sweep]
samples = true
models = [\"tiny.gguf\"]
precisions = [\"fp16\", \"int8\"]
placements = [\"cpu\"]
tasks = [\"arc_challenge\", \"hellaswag\"]
repetitions = 1
idle_seconds = 0
warmup_requests = 0
threads = 2
context_size = 2048
")
run_ok(${JOULEVAL} sweep --config ${OUT}/sweep.toml --emit-slurm ${OUT}/job.sh --slurm-time 00:30:00)
file(READ ${OUT}/job.sh script)
foreach(expected "#SBATCH --array=0-3" "#SBATCH --time=00:30:00" "--cell \"\\$SLURM_ARRAY_TASK_ID\"" "--prepare-models"
        "merge '${OUT}/sweep-shards'/cell-\\*.db" "  3: tiny int8 kv=f16 cpu hellaswag")
  if(NOT script MATCHES "${expected}")
    message(FATAL_ERROR "job script lacks '${expected}':\n${script}")
  endif()
endforeach()
if(script MATCHES "--gres")
  message(FATAL_ERROR "CPU-only sweep asks for a GPU:\n${script}")
endif()

run_ok(${JOULEVAL} sweep --config ${OUT}/sweep.toml --prepare-models)
if(NOT EXISTS ${OUT}/tiny.Q8_0.gguf)
  message(FATAL_ERROR "--prepare-models did not make the int8 file")
endif()

foreach(task 0 3)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env SLURM_ARRAY_TASK_ID=${task} bash ${OUT}/job.sh
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "array task ${task} failed (${rc}):\n${out}\n${err}")
  endif()
endforeach()
run_ok(${JOULEVAL} merge ${OUT}/sweep-shards/cell-0.db ${OUT}/sweep-shards/cell-3.db -o ${OUT}/all.db)
run_ok(${JOULEVAL} export ${OUT}/all.db --format csv --columns precision,task)
if(NOT out STREQUAL "precision,task\nfp16,arc_challenge\nint8,hellaswag\n")
  message(FATAL_ERROR "merged shards hold unexpected cells:\n${out}")
endif()

# --fewshot-sampler on the command line reaches the array tasks; its cell is another cell than the
# lm-eval one: merged with it, both are kept.
run_ok(${JOULEVAL} sweep --config ${OUT}/sweep.toml --fewshot-sampler first_n --emit-slurm ${OUT}/first-n.sh
       --slurm-dir ${OUT}/first-n-shards)
file(READ ${OUT}/first-n.sh script)
if(NOT script MATCHES "--quiet --fewshot-sampler 'first_n'")
  message(FATAL_ERROR "the job script does not pass --fewshot-sampler on:\n${script}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env SLURM_ARRAY_TASK_ID=0 bash ${OUT}/first-n.sh
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "first_n array task 0 failed (${rc}):\n${out}\n${err}")
endif()
run_ok(${JOULEVAL} merge ${OUT}/sweep-shards/cell-0.db ${OUT}/first-n-shards/cell-0.db -o ${OUT}/both.db)
run_ok(${JOULEVAL} export ${OUT}/both.db --format csv --columns precision,task,sampler)
if(NOT out STREQUAL "precision,task,sampler\nfp16,arc_challenge,lm-eval\nfp16,arc_challenge,first_n\n")
  message(FATAL_ERROR "the lm-eval and first_n cells were not kept apart:\n${out}")
endif()

execute_process(COMMAND ${JOULEVAL} sweep --config ${OUT}/sweep.toml --cell 4 --db ${OUT}/x.db --quiet
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--cell 4: the sweep has 4 cells")
  message(FATAL_ERROR "--cell out of range: expected exit 2 naming --cell, got ${rc}:\n${err}")
endif()
