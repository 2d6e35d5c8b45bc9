#include "runtime.hpp"

#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

namespace ftcore {

int configure_threads(int requested) {
  // Subnormal floats (values below 1e-38, common in optimizer states late in training) are handled
  // in microcode on x86 and slow products down by orders of magnitude; treat them as zero.
  int threads = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
  // The setting is per thread: make it on this one and on each of the pool's.
  at::globalContext().setFlushDenormal(true);
  at::parallel_for(0, threads, 1, [](std::int64_t, std::int64_t) { at::globalContext().setFlushDenormal(true); });
  return at::get_num_threads();
}

const char* torch_version() { return TORCH_VERSION; }

}  // namespace ftcore
