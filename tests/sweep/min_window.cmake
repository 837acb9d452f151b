# Short windows are filled: with a (fake) GPU meter and --min-window 6, a task that takes a fraction
# of a second is repeated inside one window and the report says so; with --min-window 0, or with no
# meter at all, it is not repeated.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
file(WRITE ${OUT}/fake.txt "name Fake H100 (test)\nenergy_mj 0 1000 2000 3000 4000 5000 6000 7000 8000\npower_mw 100000\ntemp_c 30\n")
set(ENV{JOULEVAL_FAKE_NVML_SCRIPT} ${OUT}/fake.txt)
execute_process(COMMAND ${JOULEVAL} synth --preset tiny -q -o ${OUT}/tiny.gguf RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "synth failed")
endif()

function(run_case name window nvml expect_repeated)
  execute_process(COMMAND ${JOULEVAL} run --model ${OUT}/tiny.gguf --task arc_challenge --samples --placement cpu
                          --repetitions 2 --idle 0 --warmup 0 --threads 2 --ctx 2048 --min-window ${window}
                          --nvml-library ${nvml} --rapl-root /nonexistent --db ${OUT}/${name}.db --quiet
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: run failed (${rc}):\n${out}\n${err}")
  endif()
  execute_process(COMMAND ${JOULEVAL} export ${OUT}/${name}.db --format csv --columns reps,seconds,flags
                  OUTPUT_VARIABLE csv RESULT_VARIABLE rc)
  if(expect_repeated AND NOT csv MATCHES "work repeated up to [0-9]+x per window")
    message(FATAL_ERROR "${name}: expected repeated work:\n${csv}")
  endif()
  if(NOT expect_repeated AND csv MATCHES "work repeated")
    message(FATAL_ERROR "${name}: work repeated although it should not be:\n${csv}")
  endif()
endfunction()

run_case(filled 6 ${FAKE_NVML} TRUE)  # a window far longer than one pass, even on a loaded machine
run_case(off 0 ${FAKE_NVML} FALSE)
run_case(no_meter 6 /nonexistent/libnvidia-ml.so.1 FALSE)
