# Finds libtorch: Debian's libtorch-dev by default, or any libtorch the user points to with
# Torch_DIR / CMAKE_PREFIX_PATH, or the one inside pip's `torch` with FTCORE_TORCH_FROM_PYTHON=ON.
macro(ftcore_find_torch)
  if(FTCORE_TORCH_FROM_PYTHON)
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
    execute_process(
      COMMAND "${Python3_EXECUTABLE}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE _ftcore_torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _ftcore_torch_rc)
    if(NOT _ftcore_torch_rc EQUAL 0)
      message(FATAL_ERROR "FTCORE_TORCH_FROM_PYTHON=ON but '${Python3_EXECUTABLE} -c \"import torch\"' "
                          "failed: install torch for that interpreter or set Torch_DIR instead.")
    endif()
    list(PREPEND CMAKE_PREFIX_PATH "${_ftcore_torch_prefix}")
  endif()
  find_package(Torch REQUIRED)
  # A CUDA build of libtorch defines the torch_cuda target (Caffe2Targets.cmake).
  if(TARGET torch_cuda)
    set(FTCORE_WITH_CUDA ON)
  else()
    set(FTCORE_WITH_CUDA OFF)
  endif()
  message(STATUS "ftcore: libtorch ${Torch_VERSION} from ${Torch_DIR} (CUDA: ${FTCORE_WITH_CUDA})")
  if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
    message(FATAL_ERROR
      "The libtorch at ${Torch_DIR} was built with the pre-C++11 libstdc++ ABI "
      "(_GLIBCXX_USE_CXX11_ABI=0), but the system's Boost, yaml-cpp and spdlog use the C++11 ABI. "
      "Use a cxx11-ABI libtorch (the 'cxx11 ABI' download, or a torch wheel >= 2.7).")
  endif()
endmacro()
