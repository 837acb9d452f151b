# Honest exits (README "Exit codes"): every usage error is 2, bad input 3, a missing resource 4, a
# run in which no cell has a result is not 0; the message names the option, file, line or field; and
# a rejected command creates no results database.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})

# expect_exit(CODE PATTERN ARGS...): runs jouleval ARGS in ${OUT}; checks the exit code, that stderr
# matches PATTERN and that no jouleval.db appeared.
function(expect_exit code pattern)
  execute_process(COMMAND ${JOULEVAL} ${ARGN} WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  string(REPLACE ";" " " cmd "${ARGN}")
  if(NOT rc STREQUAL "${code}")
    message(FATAL_ERROR "jouleval ${cmd}: expected exit code ${code}, got ${rc}\n${out}\n${err}")
  endif()
  if(NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "jouleval ${cmd}: the error does not match '${pattern}':\n${err}")
  endif()
  if(EXISTS ${OUT}/jouleval.db)
    message(FATAL_ERROR "jouleval ${cmd}: a rejected command created jouleval.db")
  endif()
endfunction()

execute_process(COMMAND ${JOULEVAL} synth --preset tiny -q -o tiny.gguf WORKING_DIRECTORY ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "synth failed (${rc})")
endif()
set(run run --model tiny.gguf --task mmlu --samples --placement cpu)

# Command-line parse and range errors: exit 2 naming the option (CLI11's own codes were 104-109).
expect_exit(2 "--limit" ${run} --limit abc)
expect_exit(2 "--limit: -1 is out of range" ${run} --limit -1)
expect_exit(2 "--repetitions: 0 is out of range" ${run} --repetitions 0)
expect_exit(2 "--ctx: 48 is out of range" ${run} --ctx 48)
expect_exit(2 "--batch: 1 is out of range" ${run} --batch 1)
expect_exit(2 "--parallel: 128 parallel sequences need a batch" ${run} --batch 64 --parallel 128)
expect_exit(2 "--idle: 1000000000 is out of range" ${run} --idle 1e9)
expect_exit(2 "--seed" ${run} --seed -1)
# The few-shot sampler, everywhere it is an option (an endpoint run and export-tasks too).
expect_exit(2 "--fewshot-sampler: random not in" ${run} --fewshot-sampler random)
expect_exit(2 "--fewshot-sampler: First_N not in" run --endpoint http://127.0.0.1:9 --served-model m --task gsm8k
            --samples --fewshot-sampler First_N)
expect_exit(2 "--fewshot-sampler: default not in" export-tasks --task arc_challenge --samples
            --fewshot-sampler default -o arc.bin)
expect_exit(2 "--out" synth --out x)
expect_exit(2 "frobnicate" frobnicate)

# An axis naming one value twice (the same cell would be planned twice).
expect_exit(2 "--precision: 'fp16' is listed twice" ${run} --precision fp16,F16)

# The same ranges in a TOML file: exit 3 naming the file, line and field.
file(WRITE ${OUT}/idle.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\nplacements = [\"cpu\"]\n"
     "idle_seconds = 1e9\n")
expect_exit(3 "idle.toml:6: field 'sweep.idle_seconds': 1000000000 is out of range" sweep --config idle.toml)
file(WRITE ${OUT}/seed.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\nseed = -1\n")
expect_exit(3 "seed.toml:5: field 'sweep.seed': -1 is out of range" sweep --config seed.toml)
file(WRITE ${OUT}/sampler.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\n"
     "fewshot_sampler = \"random\"\n")
expect_exit(3 "sampler.toml:5: field 'sweep.fewshot_sampler': 'random': use lm-eval or first_n" sweep --config
            sampler.toml)
file(WRITE ${OUT}/ok.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\n")
expect_exit(2 "--fewshot-sampler: random not in" sweep --config ok.toml --fewshot-sampler random)
file(WRITE ${OUT}/ctx.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\ncontext_size = 1\n")
expect_exit(3 "ctx.toml:5: field 'sweep.context_size': 1 is out of range" sweep --config ctx.toml)
file(WRITE ${OUT}/twice.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\n"
     "kv_types = [\"f16\", \"f16\"]\n")
expect_exit(3 "twice.toml:5: field 'sweep.kv_types': 'f16' is listed twice" sweep --config twice.toml)
# Unknown keys anywhere, [tasks.NAME] included.
file(WRITE ${OUT}/key.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\n\n[tasks.mmlu]\n"
     "limit = 5\nshotz = 5\n")
expect_exit(3 "key.toml:8: field 'tasks.mmlu.shotz': unknown field" sweep --config key.toml)

# A model file that is not GGUF: bad input before anything is created or measured.
file(WRITE ${OUT}/text.gguf "not a model\n")
expect_exit(3 "text.gguf" run --model text.gguf --task mmlu --samples --placement cpu)
file(WRITE ${OUT}/text.toml "[sweep]\nsamples = true\nmodels = [\"text.gguf\"]\ntasks = [\"mmlu\"]\n")
expect_exit(3 "text.gguf" sweep --config text.toml)

# An empty data file: exit 3 naming it, nothing created.
file(MAKE_DIRECTORY ${OUT}/data/arc_challenge)
file(WRITE ${OUT}/data/arc_challenge/ARC-Challenge-Test.jsonl "")
expect_exit(3 "ARC-Challenge-Test.jsonl" run --model tiny.gguf --task arc_challenge --data data --placement cpu)

# A run in which no cell has a result is not a success: placement gpu without a GPU is exit 4.
if(NOT HAVE_GPU_BACKEND)
  execute_process(COMMAND ${JOULEVAL} run --model tiny.gguf --task mmlu --samples --idle 0 --repetitions 1 --placement gpu --db gpu.db WORKING_DIRECTORY ${OUT}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 4 OR NOT err MATCHES "needs a GPU")
    message(FATAL_ERROR "run --placement gpu without a GPU: expected exit 4 saying it needs a GPU, got ${rc}:\n${err}")
  endif()
endif()
