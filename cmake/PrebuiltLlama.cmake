# Links the llama.cpp static libraries of another jouleval build directory (JOULEVAL_LLAMA_PREBUILT)
# instead of building llama.cpp again: defines the targets `llama` and `ggml` (with ggml-base and
# ggml-cpu) that src/CMakeLists.txt links. The fuzz build (docs/fuzzing.md) uses it to compile only
# jouleval's own code with clang and link the llama.cpp of ./build (GCC, same C++ ABI).
#
# Limits: the CPU backend only (no CUDA, no llama tools); build the libraries first:
#   cmake --build build --target llama ggml

if(JOULEVAL_CUDA OR JOULEVAL_LLAMA_TOOLS)
  message(FATAL_ERROR "JOULEVAL_LLAMA_PREBUILT supports the CPU backend without llama tools only")
endif()
get_filename_component(_pb "${JOULEVAL_LLAMA_PREBUILT}" ABSOLUTE)
if(NOT EXISTS "${_pb}/CMakeCache.txt")
  message(FATAL_ERROR "JOULEVAL_LLAMA_PREBUILT=${_pb} is not a configured build directory")
endif()
load_cache("${_pb}" READ_WITH_PREFIX _pb_ GGML_OPENMP OpenMP_gomp_LIBRARY GGML_CUDA)
if(_pb_GGML_CUDA)
  message(FATAL_ERROR "${_pb} was built with CUDA; JOULEVAL_LLAMA_PREBUILT supports the CPU backend only")
endif()

set(_pb_libs
  llama     src/libllama.a
  ggml      ggml/src/libggml.a
  ggml-base ggml/src/libggml-base.a
  ggml-cpu  ggml/src/libggml-cpu.a)
while(_pb_libs)
  list(POP_FRONT _pb_libs _name _file)
  set(_path "${_pb}/llama.cpp/${_file}")
  if(NOT EXISTS "${_path}")
    message(FATAL_ERROR "${_path} is missing: build it first (cmake --build ${_pb} --target llama ggml)")
  endif()
  add_library(${_name} STATIC IMPORTED GLOBAL)
  set_target_properties(${_name} PROPERTIES IMPORTED_LOCATION "${_path}")
endwhile()

find_package(Threads REQUIRED)
set(_pb_openmp)
if(_pb_GGML_OPENMP AND _pb_OpenMP_gomp_LIBRARY)
  set(_pb_openmp "${_pb_OpenMP_gomp_LIBRARY}")
endif()
set_target_properties(ggml-base PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${JOULEVAL_LLAMA_DIR}/ggml/include"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${JOULEVAL_LLAMA_DIR}/ggml/include"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
set_target_properties(ggml-cpu PROPERTIES INTERFACE_LINK_LIBRARIES "ggml-base;${_pb_openmp};Threads::Threads")
set_target_properties(ggml PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "GGML_USE_CPU"
  INTERFACE_LINK_LIBRARIES "ggml-cpu;ggml-base;${CMAKE_DL_LIBS}")
set_target_properties(llama PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${JOULEVAL_LLAMA_DIR}/include"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${JOULEVAL_LLAMA_DIR}/include"
  INTERFACE_LINK_LIBRARIES "ggml")
