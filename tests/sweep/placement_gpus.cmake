# Multi-GPU placements on the command line (docs/engine.md "Placement"): malformed ones are usage
# errors (exit 2) naming --placement / --split; one naming a GPU that is not there is exit 4 naming
# the GPUs found; no database is created for a rejected command. Then the Slurm job array's GPU
# request, and a run metered on the fake NVML with several GPUs (CUDA_VISIBLE_DEVICES respected).
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})

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
endfunction()

execute_process(COMMAND ${JOULEVAL} synth --preset tiny -q -o tiny.gguf WORKING_DIRECTORY ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "synth failed (${rc})")
endif()
set(run run --model tiny.gguf --task mmlu --samples --idle 0 --repetitions 1)

expect_exit(2 "--placement: placement 'gpus:0,0': GPU 0 is listed twice" ${run} --placement gpus:0,0)
expect_exit(2 "--placement: placement 'gpus:x': 'x' is not a GPU index" ${run} --placement gpus:x)
expect_exit(2 "--placement/--split: split row: placement 'gpus:0' is not gpus:I,J" ${run} --placement gpus:0
            --split row)
expect_exit(2 "names another split" ${run} --placement gpus:0,1:layer --split row)
expect_exit(2 "--split" ${run} --placement gpus:0,1 --split diagonal)
if(EXISTS ${OUT}/jouleval.db)
  message(FATAL_ERROR "a rejected command created jouleval.db")
endif()

# GPUs that are not there: exit 4, the message names what was found.
if(HAVE_GPU_BACKEND)
  expect_exit(4 "placement gpus:14,15:row: no GPU 14, 15 here: [0-9]+ GPU\\(s\\) found" ${run} --placement gpus:14,15
              --split row --db gpus.db)
else()
  expect_exit(4 "placement gpus:0,1:row: no GPU 0, 1 here: 0 GPU\\(s\\) found \\(none\\)" ${run}
              --placement gpus:0,1 --split row --db gpus.db)
endif()

# A Slurm job array asks for as many GPUs as the largest placement's highest index + 1 (the indices
# count the GPUs Slurm makes visible).
file(WRITE ${OUT}/gpus.toml "[sweep]\nsamples = true\nmodels = [\"tiny.gguf\"]\ntasks = [\"mmlu\"]\nplacements = [\"cpu\", \"gpu\", \"gpus:0,3\"]\nsplit = \"row\"\n")
execute_process(COMMAND ${JOULEVAL} sweep --config gpus.toml --emit-slurm job.sh WORKING_DIRECTORY ${OUT}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
file(READ ${OUT}/job.sh script)
if(NOT rc EQUAL 0 OR NOT script MATCHES "#SBATCH --gres=gpu:4\n" OR NOT script MATCHES "gpus:0,3:row mmlu")
  message(FATAL_ERROR "emit-slurm with gpus:0,3: expected --gres=gpu:4 and the canonical placement, got ${rc}:\n${err}\n${script}")
endif()

# End to end against the fake NVML with three GPUs of which CUDA_VISIBLE_DEVICES leaves one (as a
# Slurm job on one GPU of a node): only that GPU is metered and stored with energy, the others are
# stored and exported as unused, never summed.
file(WRITE ${OUT}/fake.txt "devices 3\nenergy_mj 0 1000 2000 3000 4000 5000 6000\npower_mw 100000\n")
set(ENV{JOULEVAL_FAKE_NVML_SCRIPT} ${OUT}/fake.txt)
set(ENV{CUDA_VISIBLE_DEVICES} GPU-fake-2)
execute_process(COMMAND ${JOULEVAL} run --model tiny.gguf --task arc_challenge --samples --placement cpu --repetitions 1
                        --idle 0 --warmup 0 --threads 2 --ctx 2048 --min-window 0 --nvml-library ${FAKE_NVML}
                        --rapl-root /nonexistent --db fake.db
                WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT err MATCHES "GPUs metered for placement cpu \\(CUDA_VISIBLE_DEVICES='GPU-fake-2'\\): GPU 0 = nvml:2 \\(Fake GPU, GPU-fake-2, 0000:12:00.0\\); unused, not counted: nvml:0, nvml:1")
  message(FATAL_ERROR "run with the fake NVML: expected exit 0 and the GPU selection, got ${rc}:\n${err}")
endif()
execute_process(COMMAND ${JOULEVAL} export fake.db --format csv --columns gpu_j,gpu_j_by_device,unused_gpus
                WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE csv RESULT_VARIABLE rc)
if(NOT csv STREQUAL "gpu_j,gpu_j_by_device,unused_gpus\n1,nvml:2 1.0 J,nvml:0 (Fake GPU); nvml:1 (Fake GPU)\n")
  message(FATAL_ERROR "export of the fake-NVML run: unexpected\n${csv}")
endif()

# A generation cell's phases are recorded for the metered GPU only: unused GPUs get no phase rows.
execute_process(COMMAND ${JOULEVAL} run --model tiny.gguf --task gsm8k --samples --placement cpu --repetitions 1
                        --idle 0 --warmup 0 --threads 2 --ctx 2048 --min-window 0 --nvml-library ${FAKE_NVML}
                        --rapl-root /nonexistent --db fake-gen.db
                WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gsm8k with the fake NVML: exit ${rc}:\n${err}")
endif()
execute_process(COMMAND ${JOULEVAL} export fake-gen.db --table phases --format csv
                WORKING_DIRECTORY ${OUT} OUTPUT_VARIABLE phases RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT phases MATCHES ",nvml:2,prefill," OR phases MATCHES "nvml:0" OR phases MATCHES "nvml:1")
  message(FATAL_ERROR "phases of the fake-NVML generation run: expected rows of nvml:2 only\n${phases}")
endif()
