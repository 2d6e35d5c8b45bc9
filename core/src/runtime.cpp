#include "runtime.hpp"

#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

void configure_allocator() {
#if defined(__GLIBC__)
  // libtorch's CPU tensors come from malloc, and a training step frees and asks again for the same
  // large blocks every step. glibc gives blocks above its mmap threshold back to the kernel at once
  // and trims the heap's top, so each step pays page faults on fresh memory again (measured: a bf16
  // -> fp32 copy of 512 x 1280 took 6 ms that way and 0.05 ms into a reused block). Keep freed
  // memory in the heap for reuse; the peak resident memory is the same, it is just not handed back.
  if (const char* keep = std::getenv("FTCORE_MALLOC_KEEP"); keep && std::string(keep) == "0") return;  // glibc's own policy
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

const char* torch_version() { return TORCH_VERSION; }

}  // namespace ftcore
