# The energy layer's extras: a fake NVML shared library that test_energy loads through the real
# dlopen path, and tests of `jouleval meter` as a user runs it.
add_library(fake_nvml SHARED ${CMAKE_CURRENT_LIST_DIR}/fake_nvml.cpp)
target_include_directories(fake_nvml PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(fake_nvml PRIVATE jouleval_flags)
if(TARGET test_energy)
  # meter_cli_test.cpp runs the real program; forkpty (its terminal tests) is in libutil before glibc 2.34.
  add_dependencies(test_energy fake_nvml jouleval_cli)
  target_compile_definitions(test_energy PRIVATE JOULEVAL_FAKE_NVML_PATH="$<TARGET_FILE:fake_nvml>")
  target_link_libraries(test_energy PRIVATE util)
endif()

# Runs `jouleval meter` and checks its exit code and output (see run_meter.cmake).
function(jouleval_meter_test name expected_rc regex)
  string(JOIN "|" _args ${ARGN})
  add_test(NAME energy.cli.${name}
    COMMAND ${CMAKE_COMMAND} -DJOULEVAL=$<TARGET_FILE:jouleval_cli> -DEXPECTED_RC=${expected_rc}
            "-DREGEX=${regex}" "-DARGS=${_args}" -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/energy_cli_${name}
            -DFAKE_NVML=$<TARGET_FILE:fake_nvml>
            -P ${CMAKE_CURRENT_LIST_DIR}/run_meter.cmake)
  set_tests_properties(energy.cli.${name} PROPERTIES TIMEOUT 60)
endfunction()

# No GPU and no RAPL: ~1 s, and both meters plainly unavailable (paths forced so the test means the
# same on any CI host).
jouleval_meter_test(sleep_json 0
  "\"name\": \"nvml\", +\"reason\": \"cannot load NVML library.*\"name\": \"rapl\", +\"reason\": \"no RAPL domains.*\"repetitions\".*\"seconds\": 1\\.[0-9]+"
  meter --json --idle 0 --nvml-library /nonexistent/libnvidia-ml.so.1 --rapl-root /nonexistent -- sleep 1)
jouleval_meter_test(text_summary_names_unavailable 0
  "elapsed.*nvml +unavailable: cannot load NVML library.*rapl +unavailable: no RAPL domains"
  meter --idle 0 --nvml-library /nonexistent/libnvidia-ml.so.1 --rapl-root /nonexistent -- true)
# The README's first step on a machine without GPU or RAPL, default idle baseline included: no idle
# wait (it would take 5 s), both meters plainly unavailable, exit 0.
jouleval_meter_test(sleep_1_no_meters 0
  "elapsed +1\\.[0-9]+ s.*nvml +unavailable: cannot load NVML library.*rapl +unavailable: no RAPL domains.*idle baseline +skipped, no energy meter"
  meter --nvml-library /nonexistent/libnvidia-ml.so.1 --rapl-root /nonexistent -- sleep 1)
set_tests_properties(energy.cli.sleep_1_no_meters PROPERTIES TIMEOUT 4)
jouleval_meter_test(false_exits_1 1 "elapsed" meter --idle 0 -- false)
jouleval_meter_test(signal_exit_code 137 "elapsed" meter --idle 0 -- sh -c "kill -9 $$")
jouleval_meter_test(missing_command 127 "cannot run 'jouleval-no-such-command'"
  meter --idle 0 -- jouleval-no-such-command --flag)
jouleval_meter_test(no_command 2 "COMMAND" meter --idle 0)
jouleval_meter_test(fake_gpu_repeat_timeline 0
  "\"nvml:0\".*\"available\": true.*\"stats\""
  meter --json --idle 0.2 --repeat 2 --sample-interval-ms 20 --nvml-library %FAKE_NVML% --timeline %WORK_DIR%/t.csv -- sleep 0.1)
set_tests_properties(energy.cli.fake_gpu_repeat_timeline PROPERTIES
  ENVIRONMENT "JOULEVAL_FAKE_NVML_SCRIPT=${CMAKE_CURRENT_LIST_DIR}/fake_nvml_cli.txt")

# Every numeric option is a finite number in its documented range (docs/energy.md, "Options and
# their ranges"): anything else is a usage error naming the option, before anything is measured.
foreach(_case IN ITEMS "idle|-1" "idle|nan" "idle|inf" "idle|3601" "repeat|0" "repeat|1001"
                       "sample-interval-ms|-5" "sample-interval-ms|0.5" "sample-interval-ms|nan"
                       "disagreement-threshold|-0.1" "disagreement-threshold|nan" "disagreement-threshold|2"
                       "external-timeout|0" "external-timeout|inf"
                       "interval|9" "interval|nan" "interval|600001")
  string(REPLACE "|" ";" _pair "${_case}")
  list(GET _pair 0 _option)
  list(GET _pair 1 _value)
  jouleval_meter_test(option_${_option}_${_value} 2 "--${_option}: '${_value}' is not a number in range"
    meter --${_option} ${_value} -- true)
endforeach()
# The shared measurement options are checked the same way for run (and sweep, demo).
jouleval_meter_test(run_option_sample_interval_nan 2 "--sample-interval-ms: 'nan' is not a number in range"
  run --model x.gguf --task mmlu --samples --sample-interval-ms nan)
jouleval_meter_test(external_cmd_and_file_exclude 2 "--external-cmd excludes --external-file"
  meter --external-cmd "echo 1" --external-file f -- true)
