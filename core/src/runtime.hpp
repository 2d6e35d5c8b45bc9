#pragma once
// Process-wide compute settings.

namespace ftcore {

/// Sets libtorch's intra-op threads: `requested` when > 0, else every core of the machine
/// (Debian's libtorch starts with one), and flushes subnormal floats to zero. Returns the number
/// of threads in effect.
int configure_threads(int requested);

/// The libtorch version this engine was built against, e.g. "1.13.0".
const char* torch_version();

}  // namespace ftcore
