// Collectives and the gradient reducer between two ranks of one process (a thread each, Gloo over
// loopback): sums and broadcasts, gradients summed in buckets as one process taking both ranks'
// batches would have them, accumulation before the step's last backward, a rank without a batch, and
// the message when the other rank is gone.
#include <thread>

#include <gtest/gtest.h>

#include "dist/group.hpp"
#include "dist/launcher.hpp"
#include "dist/reducer.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::error_of;

namespace {

/// Skips a test in a build without Gloo (a libtorch with no gloo headers to build against).
#define REQUIRE_GLOO() \
  if (!dist::built_for(torch::kCPU)) GTEST_SKIP() << "this build has no Gloo backend"

/// Rank 0 and rank 1 of a fresh two-rank run on a free loopback port.
std::vector<torch::Tensor> parameters();

std::pair<std::unique_ptr<dist::Group>, std::unique_ptr<dist::Group>> connect_two(int timeout_seconds = 30) {
  parameters();  // the shared initial values exist before the ranks' threads start
  const int port = dist::free_port();
  auto world = [&](int rank) {
    dist::World w;
    w.rank = rank, w.size = 2, w.local_rank = rank, w.local_size = 2, w.master_port = port, w.launcher = "test";
    return w;
  };
  std::unique_ptr<dist::Group> second;
  std::thread other([&] { second = dist::connect(world(1), torch::kCPU, std::chrono::seconds(timeout_seconds)); });
  auto first = dist::connect(world(0), torch::kCPU, std::chrono::seconds(timeout_seconds));
  other.join();
  return {std::move(first), std::move(second)};
}

/// Runs f(rank, group) on both ranks at once.
void on_both(const std::pair<std::unique_ptr<dist::Group>, std::unique_ptr<dist::Group>>& groups,
             const std::function<void(int, dist::Group&)>& f) {
  std::exception_ptr failure;
  std::thread other([&] {
    try {
      f(1, *groups.second);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  f(0, *groups.first);
  other.join();
  if (failure) std::rethrow_exception(failure);
}

/// A small two-layer network's parameters, the same values on every call (made once: the threads of
/// the two ranks must not draw from the global generator at the same time).
std::vector<torch::Tensor> parameters() {
  static const std::vector<torch::Tensor> initial = [] {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(7);
    return std::vector<torch::Tensor>{torch::randn({4, 3}, generator), torch::randn({4}, generator), torch::randn({2, 4}, generator)};
  }();
  std::vector<torch::Tensor> out;
  for (const auto& t : initial) out.push_back(t.clone().requires_grad_());
  return out;
}

torch::Tensor loss(const std::vector<torch::Tensor>& p, const torch::Tensor& x) {
  return torch::tanh(torch::linear(x, p[0], p[1])).matmul(p[2].t()).pow(2).sum();
}

torch::Tensor batch(int index) { return torch::arange(6, torch::kFloat32).view({2, 3}) * 0.1 * (index + 1) - 0.2; }

/// The gradients one process gets from the losses of these batches summed.
std::vector<torch::Tensor> expected_gradients(const std::vector<int>& batches) {
  auto p = parameters();
  torch::Tensor total;
  for (int b : batches) total = total.defined() ? total + loss(p, batch(b)) : loss(p, batch(b));
  total.backward();
  return {p[0].grad(), p[1].grad(), p[2].grad()};
}

void expect_gradients(const std::vector<torch::Tensor>& p, const std::vector<torch::Tensor>& expected) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    ASSERT_TRUE(p[i].grad().defined()) << "parameter " << i;
    EXPECT_TRUE(torch::allclose(p[i].grad(), expected[i], 1e-6, 1e-6)) << "parameter " << i << "\n" << p[i].grad() << "\n" << expected[i];
  }
}

}  // namespace

TEST(Group, SumsAndBroadcasts) {
  REQUIRE_GLOO();
  auto groups = connect_two();
  on_both(groups, [](int rank, dist::Group& g) {
    EXPECT_EQ(g.backend(), "gloo");
    EXPECT_EQ(g.world().rank, rank);
    EXPECT_EQ(g.sum({rank + 1.0, 2.0}), (std::vector<double>{3.0, 4.0}));
    auto t = torch::full({3}, static_cast<float>(rank + 5));
    g.broadcast(t, 1);
    EXPECT_TRUE(torch::equal(t, torch::full({3}, 6.0F)));
    g.barrier();
  });
}

TEST(Reducer, SumsGradientsInBucketsEveryStep) {
  REQUIRE_GLOO();
  auto groups = connect_two();
  const auto expected = expected_gradients({0, 1});
  on_both(groups, [&](int rank, dist::Group& g) {
    auto p = parameters();
    dist::GradientReducer reducer(g, p, /*bucket_bytes=*/16);  // 32, 16 and 48 bytes: a bucket each
    EXPECT_EQ(reducer.bucket_count(), 3u);
    for (int step = 0; step < 3; ++step) {  // the first learns the graph; later ones send from the hooks
      for (auto& t : p) t.mutable_grad().reset();
      reducer.arm();
      loss(p, batch(rank)).backward();
      reducer.finish();
      expect_gradients(p, expected);
    }
  });
}

TEST(Reducer, AccumulatesBeforeTheLastBackwardAndCountsARankWithoutBatches) {
  REQUIRE_GLOO();
  auto groups = connect_two();
  const auto expected = expected_gradients({0, 1, 2});
  on_both(groups, [&](int rank, dist::Group& g) {
    auto p = parameters();
    dist::GradientReducer reducer(g, p);
    for (int step = 0; step < 2; ++step) {
      for (auto& t : p) t.mutable_grad().reset();
      if (rank == 0) {  // three micro-batches on rank 0, none on rank 1
        loss(p, batch(0)).backward();
        loss(p, batch(1)).backward();
        reducer.arm();
        loss(p, batch(2)).backward();
      }
      reducer.finish();
      expect_gradients(p, expected);
    }
  });
}

TEST(Group, ALostRankIsAFailureNamingThisRank) {
  REQUIRE_GLOO();
  auto groups = connect_two(/*timeout_seconds=*/10);
  groups.second.reset();  // rank 1 leaves: its connections close
  const std::string message = error_of([&] { groups.first->sum({1.0}); });
  EXPECT_EQ(message.rfind("rank 0: all-reduce with the other ranks failed (gloo: ", 0), 0u) << message;
}

TEST(Group, ARendezvousThatDoesNotFormFailsInTime) {
  REQUIRE_GLOO();
  dist::World w;
  w.rank = 0, w.size = 2, w.local_size = 2, w.master_port = dist::free_port();
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of([&] { dist::connect(w, torch::kCPU, std::chrono::seconds(2)); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(message.rfind("rank 0: the ranks could not meet at 127.0.0.1:" + std::to_string(w.master_port) + " within 2 s (", 0), 0u)
      << message;
  EXPECT_NE(message.find("check that all 2 ranks started"), std::string::npos) << message;
}

TEST(Group, ABackendThisBuildLacksIsRefusedBeforeConnecting) {
  if (dist::built_for(torch::Device(torch::kCUDA, 0))) GTEST_SKIP() << "this build has NCCL";
  dist::World w;
  w.rank = 0, w.size = 2, w.local_size = 2, w.master_port = 1;  // nothing may be contacted
  const std::string message = error_of([&] { dist::connect(w, torch::Device(torch::kCUDA, 0), std::chrono::seconds(1)); });
  EXPECT_EQ(message.rfind("a distributed run on GPUs needs nccl, which this ftcore was built without (it has: ", 0), 0u) << message;
}
