#pragma once
// What `ftcore bench` measures besides time: the machine's matmul peak, the FLOPs a training step
// needs, the bytes a model keeps, the process's peak resident memory, and how fast files read.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ftcore/nn/modules.hpp"

namespace ftcore::bench {

/// The best FLOP/s of square matrix products of `dtype` on `device` (the CPU: n = 1024, 2048, 4096
/// on the threads libtorch has; a GPU: n = 2048, 4096, 8192, timed 20 products at a time), each size
/// run until `seconds_per_size` have passed, at least three times.
double gemm_peak(torch::ScalarType dtype, const torch::Device& device = torch::kCPU, double seconds_per_size = 0.5);

/// The floating-point operations of one training step (forward and backward) of `network` on
/// `rows` sequences of `length` tokens, every position but the first predicted. Counted as
/// computed: every linear layer's product (its input gradient in backward, its weight gradient
/// when it trains), adapters' products, the logits for the predicted positions, attention's two
/// products over the full length x length square. Not counted: norms, activations, softmax, the
/// optimizer, recomputation by gradient checkpointing.
struct StepFlops {
  double forward = 0, backward = 0;
  double total() const { return forward + backward; }
};
StepFlops training_flops(nn::CausalLM& network, std::int64_t rows, std::int64_t length);

/// Bytes the network holds: parameters and buffers (quantised codes included), and of those the
/// parameters that train (their gradients take as many bytes again).
struct ModelBytes {
  std::int64_t weights = 0, trainable = 0;
  std::int64_t parameters = 0, trainable_parameters = 0;  ///< counts (elements)
};
ModelBytes model_bytes(nn::CausalLM& network);

/// The process's peak resident memory in bytes since it started (VmHWM, else ru_maxrss).
std::int64_t peak_rss_bytes();

/// Seconds to read every regular file under `dir` once into memory (a 16 MiB buffer), read a
/// first time untimed so that the page cache holds them (a cold cache is not what is measured).
double warm_read_seconds(const std::filesystem::path& dir);

/// "CPU model name, N threads" (Linux /proc/cpuinfo), for reports.
std::string machine_description(int threads);

}  // namespace ftcore::bench
