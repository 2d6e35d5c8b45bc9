#pragma once
// Question/answer records: {question, answer, context?}.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/dataset_format.hpp"

namespace ftcore::formats {

class QaFormat final : public DatasetFormat {
 public:
  std::string name() const override;
  std::string description() const override;
  double score(const nlohmann::json& record) const override;
  Sample convert(const nlohmann::json& record) const override;
  std::vector<nlohmann::json> examples() const override;
};

}  // namespace ftcore::formats
