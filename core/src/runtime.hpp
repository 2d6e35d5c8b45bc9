#pragma once
// Process-wide compute settings.

namespace ftcore {

/// The CPUs this process may run on (its affinity mask; at least 1).
int available_cpus();

/// Sets libtorch's intra-op threads: `requested` when > 0, else every available CPU (Debian's
/// libtorch starts with one), and flushes subnormal floats to zero. Returns the number of threads
/// in effect. Throws UsageError for more threads than available CPUs (--threads).
int configure_threads(int requested);

/// Makes malloc keep freed memory for reuse instead of returning it to the kernel (glibc): the
/// tensors of one training step are the next step's sizes again. Call before large allocations.
/// FTCORE_MALLOC_KEEP=0 leaves glibc's policy as it is.
void configure_allocator();

/// The libtorch version this engine was built against, e.g. "1.13.0".
const char* torch_version();

}  // namespace ftcore
