#pragma once
// Data parallelism's gradient exchange, as torch's DistributedDataParallel does it: the trainable
// parameters' gradients are summed over the ranks in buckets of about 25 MiB. Buckets hold the
// parameters in the reverse of their order (the order backward makes their gradients in); each is
// sent while backward goes on, as soon as every gradient in it is final, and every rank sends the
// buckets in the same order. Micro-batches before the step's last only accumulate (no exchange).
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dist/group.hpp"

namespace ftcore::dist {

class GradientReducer {
 public:
  static constexpr std::int64_t kBucketBytes = std::int64_t{25} << 20;

  GradientReducer(Group& group, std::vector<torch::Tensor> params, std::int64_t bucket_bytes = kBucketBytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// The next backward is this rank's last of the step: its gradients go out as they are made. (The
  /// first such backward only learns how often each gradient is accumulated; finish() sends it all.)
  void arm();
  /// After the step's backward passes (none on a rank without a micro-batch this step): sends what has
  /// not gone yet, waits for every sum and puts it in the gradients (a missing gradient becomes the sum).
  void finish();

  std::size_t bucket_count() const;

  struct State;  ///< (opaque; the autograd hooks hold it weakly)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ftcore::dist
