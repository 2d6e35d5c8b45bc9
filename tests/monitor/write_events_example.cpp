// Writes a known set of scalars as a TensorBoard event file, plus the JSON that
// tests/parity/tensorboard_check.py compares TensorBoard's own reader against.
// Usage: write_events_example EVENTS_DIR [EXPECTED.json]   (default EVENTS_DIR/../expected.json)
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "monitor/tensorboard.hpp"

namespace {

struct Scalar {
  std::string tag;
  std::int64_t step;
  double value;
};

std::vector<Scalar> known_scalars() {
  std::vector<Scalar> scalars;
  for (std::int64_t step = 0; step <= 100; step += 10) {
    scalars.push_back({"train/loss", step, 2.5 * std::exp(-step / 40.0) + 0.4});
    scalars.push_back({"train/learning_rate", step, 2e-4 * (1.0 - step / 100.0)});
  }
  scalars.push_back({"eval/loss", 50, 1.125});
  scalars.push_back({"eval/loss", 100, 0.875});
  scalars.push_back({"edge/values", 1, 0.0});
  scalars.push_back({"edge/values", 2, -3.5});
  scalars.push_back({"edge/values", 3, 1e30});
  scalars.push_back({"edge/values", 4, 1e-7});
  scalars.push_back({"edge/values", 5, std::nan("")});
  scalars.push_back({"edge/values", 6, std::numeric_limits<double>::infinity()});
  scalars.push_back({"edge/steps", -5, 1.0});
  scalars.push_back({"edge/steps", std::int64_t{1} << 40, 2.0});
  scalars.push_back({"edge/steps", std::numeric_limits<std::int64_t>::max(), 3.0});
  return scalars;
}

/// JSON has no NaN or infinity: those values are written as the strings "nan", "inf", "-inf".
nlohmann::json json_value(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: write_events_example EVENTS_DIR [EXPECTED.json]\n";
    return ftcore::kExitUsage;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::path expected_file = argc == 3 ? std::filesystem::path(argv[2]) : dir.parent_path() / "expected.json";
  try {
    ftcore::monitor::EventWriter writer(dir);
    nlohmann::json expected = nlohmann::json::array();
    for (const Scalar& s : known_scalars()) {
      writer.add_scalar(s.tag, s.step, s.value);
      expected.push_back({{"tag", s.tag}, {"step", s.step}, {"value", json_value(s.value)}});
    }
    writer.flush();
    std::ofstream(expected_file) << nlohmann::json{{"scalars", expected}}.dump(2) << "\n";
    std::cout << "wrote " << writer.file().string() << " and " << expected_file.string() << "\n";
  } catch (const ftcore::RunError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return ftcore::kExitFailure;
  }
  return ftcore::kExitOk;
}
