#include "common/adapters.hpp"

#include <fstream>
#include <stdexcept>

namespace ftcore::methods {

void freeze(nn::CausalLM& network) {
  for (auto& p : network.parameters()) p.set_requires_grad(false);
}

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument(file.string() + ": cannot read the file");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(file.string() + ": invalid JSON: " + e.what());
  }
}

}  // namespace ftcore::methods
