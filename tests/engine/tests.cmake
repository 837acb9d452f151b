# Shell-level tests of `jouleval synth` and `jouleval quantize` (included by tests/CMakeLists.txt).
set(_engine_cli_dir ${CMAKE_BINARY_DIR}/test-models/cli)
file(MAKE_DIRECTORY ${_engine_cli_dir})

add_test(NAME engine.cli.synth_lists_presets COMMAND $<TARGET_FILE:jouleval_cli> synth --list)
set_tests_properties(engine.cli.synth_lists_presets PROPERTIES PASS_REGULAR_EXPRESSION "qwen2.5-7b.*\n.*llama-3-8b.*\n.*mistral-7b")

add_test(NAME engine.cli.synth_tiny COMMAND $<TARGET_FILE:jouleval_cli> synth --preset tiny -q --force -o ${_engine_cli_dir}/tiny.gguf)
set_tests_properties(engine.cli.synth_tiny PROPERTIES
  PASS_REGULAR_EXPRESSION "wrote .*tiny.gguf.*random weights|chance level" FIXTURES_SETUP engine_cli_tiny)

add_test(NAME engine.cli.quantize_tiny_int8
  COMMAND $<TARGET_FILE:jouleval_cli> quantize ${_engine_cli_dir}/tiny.gguf -o ${_engine_cli_dir}/tiny-q8.gguf --type int8 -q --force)
set_tests_properties(engine.cli.quantize_tiny_int8 PROPERTIES
  PASS_REGULAR_EXPRESSION "F16 -> Q8_0" FIXTURES_REQUIRED engine_cli_tiny)

add_test(NAME engine.cli.quantize_lists_precisions COMMAND $<TARGET_FILE:jouleval_cli> quantize --list)
set_tests_properties(engine.cli.quantize_lists_precisions PROPERTIES
  PASS_REGULAR_EXPRESSION "int8 +Q8_0.*\n(.*\n)*int4 +Q4_K_M.*(.*\n)*dynamic")

add_test(NAME engine.cli.quantize_bad_type_fails
  COMMAND $<TARGET_FILE:jouleval_cli> quantize ${_engine_cli_dir}/tiny.gguf -o ${_engine_cli_dir}/never.gguf --type int3)
set_tests_properties(engine.cli.quantize_bad_type_fails PROPERTIES
  WILL_FAIL TRUE FIXTURES_REQUIRED engine_cli_tiny)
