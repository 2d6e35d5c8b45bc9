#include "bench/measure.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "device/device.hpp"

namespace ftcore::bench {

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// A "Key:   123 kB" line of /proc/self/status, in bytes; -1 when absent.
std::int64_t proc_status_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  return -1;
}

bool is_weight_name(const std::string& name) { return name == "weight" || name == "base_layer.weight"; }

}  // namespace

double gemm_peak(torch::ScalarType dtype, const torch::Device& device, double seconds_per_size) {
  torch::NoGradGuard no_grad;
  double best = 0;
  // A GPU needs larger products to fill, and runs them queued: each timing covers a batch of
  // products between two waits for the device.
  const bool gpu = device.is_cuda();
  const std::vector<std::int64_t> sizes = gpu ? std::vector<std::int64_t>{2048, 4096, 8192} : std::vector<std::int64_t>{1024, 2048, 4096};
  const int batch = gpu ? 20 : 1;
  for (std::int64_t n : sizes) {
    auto a = torch::randn({n, n}).to(device, dtype), b = torch::randn({n, n}).to(device, dtype);
    auto out = torch::mm(a, b);  // warm-up: the library picks its kernels
    device::synchronize(device);
    const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) * batch;
    const auto start = std::chrono::steady_clock::now();
    for (int runs = 0; runs < 3 || seconds_since(start) < seconds_per_size; ++runs) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < batch; ++i) torch::mm_out(out, a, b);
      device::synchronize(device);
      best = std::max(best, flops / seconds_since(t0));
    }
  }
  return best;
}

StepFlops training_flops(nn::CausalLM& network, std::int64_t rows, std::int64_t length) {
  const auto& spec = network.spec();
  const double tokens = static_cast<double>(rows * length);
  const double predicted = static_cast<double>(rows * (length - 1));
  StepFlops f;
  for (const auto& site : network.linear_sites()) {
    auto layer = site.owner->linear(site.child);
    const double base = 2.0 * static_cast<double>(layer->in_features() * layer->out_features());
    bool base_trains = false;
    double adapter = 0, adapter_backward = 0;
    for (const auto& p : layer->named_parameters()) {
      if (is_weight_name(p.key())) {
        base_trains = p.value().requires_grad();
      } else if (p.value().dim() >= 2) {  // an adapter's matrix: its product with the activations
        adapter += 2.0 * static_cast<double>(p.value().numel());
        adapter_backward += (p.value().requires_grad() ? 4.0 : 2.0) * static_cast<double>(p.value().numel());
      }
    }
    f.forward += tokens * (base + adapter);
    f.backward += tokens * ((base_trains ? 2.0 : 1.0) * base + adapter_backward);
  }
  const double head = 2.0 * static_cast<double>(spec.hidden_size * spec.vocab_size);
  f.forward += predicted * head;
  f.backward += predicted * (network.lm_head_weight().requires_grad() ? 2.0 : 1.0) * head;
  // Attention: scores = q k^T and out = probs v, per head, over the whole square.
  const double attention = 4.0 * static_cast<double>(rows * spec.num_heads * spec.head_dim) * static_cast<double>(length) *
                           static_cast<double>(length) * static_cast<double>(spec.num_layers);
  f.forward += attention;
  f.backward += 2.0 * attention;
  return f;
}

ModelBytes model_bytes(nn::CausalLM& network) {
  ModelBytes bytes;
  for (const auto& p : network.parameters()) {
    const auto size = static_cast<std::int64_t>(p.nbytes());
    bytes.weights += size;
    bytes.parameters += p.numel();
    if (p.requires_grad()) bytes.trainable += size, bytes.trainable_parameters += p.numel();
  }
  for (const auto& b : network.buffers()) bytes.weights += static_cast<std::int64_t>(b.nbytes());
  return bytes;
}

std::int64_t peak_rss_bytes() {
  const std::int64_t peak = proc_status_bytes("VmHWM");
  if (peak >= 0) return peak;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

double warm_read_seconds(const fs::path& dir) {
  std::vector<char> buffer(16u << 20);
  auto read_all = [&] {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      }
    }
  };
  read_all();
  const auto start = std::chrono::steady_clock::now();
  read_all();
  return seconds_since(start);
}

std::string machine_description(int threads) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + ", " + std::to_string(threads) + " thread" + (threads == 1 ? "" : "s");
}

}  // namespace ftcore::bench
