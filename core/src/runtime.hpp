#pragma once
// Process-wide compute settings.

namespace ftcore {

/// Sets libtorch's intra-op threads: `requested` when > 0, else every core of the machine
/// (Debian's libtorch starts with one), and flushes subnormal floats to zero. Returns the number
/// of threads in effect.
int configure_threads(int requested);

/// Makes malloc keep freed memory for reuse instead of returning it to the kernel (glibc): the
/// tensors of one training step are the next step's sizes again. Call before large allocations.
/// FTCORE_MALLOC_KEEP=0 leaves glibc's policy as it is.
void configure_allocator();

/// The libtorch version this engine was built against, e.g. "1.13.0".
const char* torch_version();

}  // namespace ftcore
