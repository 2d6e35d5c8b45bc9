#include "runtime.hpp"

#include <dlfcn.h>
#include <sched.h>

#include <climits>
#include <cstdlib>
#include <algorithm>
#include <string>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include "errors.hpp"

namespace ftcore {

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

/// OpenBLAS keeps a thread pool of its own, sized from OMP_NUM_THREADS / OPENBLAS_NUM_THREADS when it
/// loads and not by at::set_num_threads: set it too, in each copy of it the process has loaded (Debian's
/// libtorch reaches it as libblas.so.3 and as libopenblas.so.0), so that --threads bounds the matrix
/// products as well (and a run is the same whatever launched it).
void set_blas_threads(int threads) {
  for (const char* library : {"libopenblas.so.0", "libblas.so.3"}) {
    void* handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (!handle) continue;
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"))) set(threads);
    dlclose(handle);
  }
}

}  // namespace

int configure_threads(int requested) {
  const int cpus = available_cpus();
  if (requested > cpus)
    throw UsageError("--threads " + std::to_string(requested) + ": this process may run on " + std::to_string(cpus) +
                     " CPU" + (cpus == 1 ? "" : "s") + " (at most " + std::to_string(cpus) +
                     "); leave --threads out to use them all");
  int threads = requested > 0 ? requested : cpus;
  // Subnormal floats (values below 1e-38, common in optimizer states late in training) are handled
  // in microcode on x86 and slow products down by orders of magnitude; treat them as zero.
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
  set_blas_threads(threads);
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
