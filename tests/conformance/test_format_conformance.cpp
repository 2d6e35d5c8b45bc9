// The same contract tests for every installed DatasetFormat plugin, loaded the way ftcore loads
// them. Runs against the build's plugin directory, or the directories in
// FTCORE_CONFORMANCE_PLUGIN_DIRS (':'-separated), e.g. an installed prefix's lib/ftcore/plugins.
#include <cmath>

#include <gtest/gtest.h>

#include "data/checks.hpp"
#include "data/dataset.hpp"
#include "plugins/loader.hpp"
#include "util/text.hpp"

using namespace ftcore;
using nlohmann::json;

namespace {

Registry& installed() {
  static Registry* registry = [] {
    auto* r = new Registry();
    PluginSearch search;
    const char* dirs = std::getenv("FTCORE_CONFORMANCE_PLUGIN_DIRS");
    for (const auto& dir : text::split(dirs ? dirs : FTCORE_PLUGIN_DIR, ':')) search.env_paths.emplace_back(dir);
    PluginReport report = load_plugins(search, *r);
    for (const auto& failure : report.failures) ADD_FAILURE() << failure.message();
    return r;
  }();
  return *registry;
}

std::vector<std::string> format_names() { return installed().names(ComponentKind::format); }

/// Values no format may crash on.
std::vector<json> garbage() {
  return {json(), json(42), json(true), json::array(), json::object(), json("x"), json::array({1, 2}),
          json{{"messages", 5}}, json{{"conversations", json::array({json::object()})}},
          json{{"instruction", json::array()}, {"output", nullptr}}, json{{"text", 3}}};
}

class FormatConformance : public ::testing::TestWithParam<std::string> {
 protected:
  const DatasetFormat& format() const { return *installed().format(GetParam()); }
};

}  // namespace

TEST(FormatConformanceSetup, TheBuiltInFormatsAreInstalled) {
  for (const char* name : {"alpaca", "sharegpt", "openai", "qa", "completion", "text"})
    EXPECT_NE(installed().format(name), nullptr) << name;
}

TEST_P(FormatConformance, DescribesItself) {
  EXPECT_EQ(format().name(), GetParam());
  EXPECT_FALSE(format().description().empty());
  EXPECT_EQ(format().name().find_first_of(" \t,"), std::string::npos) << "names are used on the command line";
}

TEST_P(FormatConformance, ExamplesConvertAndPassTheEngineChecks) {
  auto examples = format().examples();
  ASSERT_GE(examples.size(), 1u);
  for (const auto& record : examples) {
    Sample sample;
    ASSERT_NO_THROW(sample = format().convert(record)) << record.dump();
    auto problems = data::check_sample(sample);
    EXPECT_TRUE(problems.empty()) << record.dump() << ": " << (problems.empty() ? "" : problems[0].message);
  }
}

TEST_P(FormatConformance, ExamplesAreDetectedAsThisFormat) {
  for (const auto& record : format().examples()) {
    data::RawRecord raw{{"example", 1, 1}, record};
    EXPECT_EQ(data::detect_format({raw}, installed()), GetParam()) << record.dump();
  }
}

TEST_P(FormatConformance, ScoresStayInRangeAndNeverThrow) {
  auto check = [&](const json& value) {
    double score = -1;
    EXPECT_NO_THROW(score = format().score(value)) << value.dump();
    EXPECT_TRUE(score >= 0 && score <= 1 && !std::isnan(score)) << value.dump() << " scored " << score;
  };
  for (const auto& value : garbage()) check(value);
  for (const auto& value : format().examples()) check(value);
}

TEST_P(FormatConformance, BadRecordsRaiseFormatErrorWithAMessage) {
  for (const auto& value : garbage()) {
    if (format().score(value) >= 1.0) continue;  // e.g. a bare string is a perfect text record
    try {
      format().convert(value);
    } catch (const FormatError& e) {
      EXPECT_GT(std::string(e.what()).size(), 10u) << value.dump();
    } catch (const std::exception& e) {
      ADD_FAILURE() << value.dump() << ": threw a non-FormatError: " << e.what();
    }
  }
}

TEST_P(FormatConformance, ConversionIsDeterministic) {
  for (const auto& record : format().examples()) {
    Sample a = format().convert(record), b = format().convert(record);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.messages.size(), b.messages.size());
    EXPECT_EQ(a.prompt + a.completion + a.text, b.prompt + b.completion + b.text);
  }
}

INSTANTIATE_TEST_SUITE_P(Installed, FormatConformance, ::testing::ValuesIn(format_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });
