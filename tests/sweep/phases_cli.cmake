# The phases of a generation cell as a user sees them (docs/energy.md "Phases of generation"): `run`
# prints the steady-state line after each repetition, and `export --table phases` has the four phases
# of the cell. With a (fake) GPU meter whose counter grows, the energy of a phase with enough power
# samples is counter-scaled; with no meter at all every phase keeps its time and says "no energy
# meter", with no energy.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
set(energy "")
foreach(i RANGE 0 3000)
  math(EXPR mj "${i} * 5000")
  string(APPEND energy " ${mj}")
endforeach()
file(WRITE ${OUT}/fake.txt "name Fake H100 (test)\nenergy_mj${energy}\npower_mw 100000\nusage_mw 100000\ntemp_c 30\n")
set(ENV{JOULEVAL_FAKE_NVML_SCRIPT} ${OUT}/fake.txt)
execute_process(COMMAND ${JOULEVAL} synth --preset tiny -q -o ${OUT}/tiny.gguf RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "synth failed")
endif()

# Runs GSM8K (3 items, 2 sequences at once: the batch is full while the third prompt waits) and
# returns the phases table as CSV in `csv_var` and the run's standard error in `err_var`.
function(run_phases name nvml window csv_var err_var)
  execute_process(COMMAND ${JOULEVAL} run --model ${OUT}/tiny.gguf --task gsm8k --samples --limit 3 --parallel 2
                          --placement cpu --repetitions 1 --idle 0 --warmup 0 --threads 2 --ctx 2048
                          --min-window ${window} --sample-interval-ms 10 --nvml-library ${nvml}
                          --rapl-root /nonexistent --db ${OUT}/${name}.db
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: run failed (${rc}):\n${out}\n${err}")
  endif()
  execute_process(COMMAND ${JOULEVAL} export ${OUT}/${name}.db --format csv --table phases
                          --columns task,meter,phase,sequences,seconds,tokens,joules,method,note
                  OUTPUT_VARIABLE csv ERROR_VARIABLE export_err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: export failed (${rc}):\n${export_err}")
  endif()
  set(${csv_var} "${csv}" PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

run_phases(fake_gpu ${FAKE_NVML} 3 csv err)
if(NOT err MATCHES "decode steps: [0-9]+ without prompt tokens, [0-9.]+ ms each: [0-9.-]+ ms in llama_decode and the copy of its outputs, [0-9.]+ ms on the host \\(argmax, detokenisation, stop strings\\); [0-9.]+ runs of consecutive sequence ids per step \\(at most [0-9]+; a forward pass each\\)")
  message(FATAL_ERROR "fake_gpu: no line with the decode steps' times:\n${err}")
endif()
if(NOT err MATCHES "steady-state decode: [0-9.e+-]+ J/token \\(nvml:0, counter-scaled\\) over [0-9.]+ s \\(B = 2\\)")
  message(FATAL_ERROR "fake_gpu: no steady-state line with energy:\n${err}")
endif()
foreach(phase prefill decode steady other)
  if(NOT csv MATCHES "gsm8k,nvml:0,${phase},")
    message(FATAL_ERROR "fake_gpu: no ${phase} row:\n${csv}")
  endif()
endforeach()
if(NOT csv MATCHES "gsm8k,nvml:0,decode,2,[0-9.e+-]+,[1-9][0-9]*,[0-9.e+-]+,counter-scaled,")
  message(FATAL_ERROR "fake_gpu: the decode phase has no counter-scaled energy:\n${csv}")
endif()
if(NOT csv MATCHES "gsm8k,nvml:0,steady,2,[0-9.e+-]+,[1-9][0-9]*,")
  message(FATAL_ERROR "fake_gpu: the steady state should hold 2 sequences and decode tokens:\n${csv}")
endif()

# One window, no calibration pass before it (--min-window 0): the generation context is made before
# the window (Evaluator::prepare_generation), not in it.
run_phases(one_window ${FAKE_NVML} 0 csv err)
if(NOT err MATCHES "generation outside its steps: [0-9.]+ s tokenising the prompts, 0.000 s making the generation context, [0-9.]+ s between steps")
  message(FATAL_ERROR "one_window: the generation context was made inside the window, or no line says so:\n${err}")
endif()

run_phases(no_meter /nonexistent/libnvidia-ml.so.1 3 csv err)
if(NOT err MATCHES "steady-state decode: [0-9.]+ s \\(B = 2\\), energy unavailable: no energy meter")
  message(FATAL_ERROR "no_meter: expected the steady state without energy:\n${err}")
endif()
foreach(phase prefill decode steady other)
  if(NOT csv MATCHES "gsm8k,,${phase},[0-9]+,[0-9.e+-]+,[0-9]+,,unavailable,no energy meter")
    message(FATAL_ERROR "no_meter: the ${phase} row should have its time and no energy:\n${csv}")
  endif()
endforeach()
