#pragma once
// Reading the Python reference numbers of tests/train/data (made by data/make_fixtures.py).
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "test_support.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::testing {

inline std::filesystem::path train_data(const std::string& name) {
  return std::filesystem::path(FTCORE_SOURCE_DIR) / "tests" / "train" / "data" / name;
}

inline nlohmann::json train_json(const std::string& name) {
  std::ifstream in(train_data(name));
  return nlohmann::json::parse(in);
}

/// A fixture's tensors by name (copies, so that tests may modify them).
class TrainTensors {
 public:
  explicit TrainTensors(const std::string& name) : file_(weights::SafetensorsFile::open(train_data(name))) {}
  torch::Tensor operator()(const std::string& name) const { return file_->tensor(name).clone(); }
  bool contains(const std::string& name) const { return file_->find(name) != nullptr; }

 private:
  std::shared_ptr<weights::SafetensorsFile> file_;
};

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace ftcore::testing
