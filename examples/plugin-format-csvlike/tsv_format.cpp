// An out-of-tree DatasetFormat plugin: "tsv-pair".
//
// Each line of a .txt file reaches a format as a JSON string. This format reads lines of the form
//
//   prompt<TAB>completion
//
// (exactly one tab, both sides non-empty) as prompt/completion samples: the completion trains,
// the prompt does not. It is built only against the installed ftcore SDK; see README.md.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/dataset_format.hpp"
#include "ftcore/format_util.hpp"
#include "ftcore/plugin.hpp"
#include "ftcore/sample.hpp"

namespace {

using nlohmann::json;

/// The two sides of "prompt<TAB>completion"; ok only for exactly one tab and non-empty sides.
struct Split {
  bool ok = false;
  std::size_t tabs = 0;
  std::string prompt;
  std::string completion;
};

Split split_pair(const std::string& line) {
  Split out;
  out.tabs = static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t'));
  if (out.tabs != 1) return out;
  const std::size_t tab = line.find('\t');
  out.prompt = line.substr(0, tab);
  out.completion = line.substr(tab + 1);
  out.ok = !out.prompt.empty() && !out.completion.empty();
  return out;
}

class TsvPairFormat final : public ftcore::DatasetFormat {
 public:
  std::string name() const override { return "tsv-pair"; }

  std::string description() const override {
    return "Tab-separated pairs: a .txt line \"prompt<TAB>completion\"; the completion trains";
  }

  // Above the built-in "text" format's 0.5 for any string: a pair line is more specifically ours.
  double score(const json& record) const override {
    if (!record.is_string()) return 0.0;
    return split_pair(record.get_ref<const std::string&>()).ok ? 0.9 : 0.0;
  }

  ftcore::Sample convert(const json& record) const override {
    if (!record.is_string()) {
      throw ftcore::FormatError(
          "", "tsv-pair records are lines of a .txt file (\"prompt<TAB>completion\"), got a JSON " +
                  ftcore::format_util::type_name(record));
    }
    const Split pair = split_pair(record.get_ref<const std::string&>());
    if (pair.tabs != 1) {
      throw ftcore::FormatError(
          "", "a tsv-pair line must hold exactly one tab between prompt and completion, found " +
                  std::to_string(pair.tabs) +
                  (pair.tabs == 0 ? " (use --format text for plain text lines)"
                                  : " (write tabs inside the text as spaces)"));
    }
    if (pair.prompt.empty()) {
      throw ftcore::FormatError("", "empty prompt: the line starts with its tab; write the prompt before it");
    }
    if (pair.completion.empty()) {
      throw ftcore::FormatError("", "empty completion: nothing follows the tab; write the completion after it");
    }
    ftcore::Sample sample;
    sample.kind = ftcore::Sample::Kind::prompt_completion;
    sample.prompt = pair.prompt;
    sample.completion = pair.completion;
    sample.train_prompt = false;
    return sample;
  }

  std::vector<json> examples() const override {
    return {
        "What is the capital of France?\tParis.",
        "Write a haiku about autumn.\tLeaves drift on cold wind / the maple lets go of red / "
        "quiet paths remember",
    };
  }
};

void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<TsvPairFormat>());
}

}  // namespace

FTCORE_PLUGIN("example-tsv-pair", "1.0.0", "Tab-separated prompt/completion lines (example plugin)",
              register_components)
