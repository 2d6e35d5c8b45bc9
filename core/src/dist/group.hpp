#pragma once
// Collectives between the ranks of a distributed run, on torch's c10d: a TCPStore rendezvous at
// MASTER_ADDR:MASTER_PORT (rank 0 serves it), then Gloo for CPU tensors or NCCL for CUDA tensors.
// A failure (a rank that died, a rendezvous that did not form, a timeout) is a dist::Failure that
// names this rank, the operation and, when this machine can tell, the rank that has exited.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dist/failure.hpp"
#include "dist/world.hpp"

namespace ftcore::dist {

/// A collective in flight.
class Pending {
 public:
  virtual ~Pending() = default;
  /// Returns when every rank's part has arrived; Failure otherwise.
  virtual void wait() = 0;
};

class Group {
 public:
  virtual ~Group() = default;
  virtual const World& world() const = 0;
  /// "gloo" or "nccl".
  virtual std::string backend() const = 0;
  /// Where the backend's tensors live (the CPU for Gloo, this rank's GPU for NCCL).
  virtual torch::Device device() const = 0;
  /// Starts summing `tensor` in place over the ranks (each rank passes one of the same shape, dtype
  /// and device kind, in the same order as the others).
  virtual std::unique_ptr<Pending> all_reduce_async(torch::Tensor tensor) = 0;
  /// Rank `root`'s values into every rank's `tensor`.
  virtual void broadcast(torch::Tensor tensor, int root) = 0;

  void all_reduce(torch::Tensor tensor) { all_reduce_async(std::move(tensor))->wait(); }
  /// Each value summed over the ranks (in float64).
  std::vector<double> sum(const std::vector<double>& values);
  /// Returns once every rank has called it.
  void barrier();
  /// A Failure for `operation`, with `cause` and which rank on this machine has exited, if any.
  [[noreturn]] virtual void fail(const std::string& operation, const std::string& cause) const = 0;
};

/// The backends this build has: "gloo" (CPU tensors; libgloo's headers at build time) and "nccl"
/// (CUDA tensors; a CUDA libtorch and nccl.h).
std::vector<std::string> built_backends();
/// Whether this build has the backend for tensors on `device` (NCCL for a GPU, Gloo for the CPU).
bool built_for(const torch::Device& device);

/// Joins the run. `device` picks the backend (cpu: Gloo, cuda: NCCL); UsageError when this build
/// lacks it. Failure when the rendezvous does not form within `timeout`, which also bounds every
/// later collective.
std::unique_ptr<Group> connect(const World& world, const torch::Device& device, std::chrono::milliseconds timeout);

}  // namespace ftcore::dist
