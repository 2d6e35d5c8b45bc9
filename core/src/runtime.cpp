#include "runtime.hpp"

#include <thread>

#include <ATen/Parallel.h>
#include <torch/version.h>

namespace ftcore {

int configure_threads(int requested) {
  int threads = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
  return at::get_num_threads();
}

const char* torch_version() { return TORCH_VERSION; }

}  // namespace ftcore
