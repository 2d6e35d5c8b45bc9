// Registry and Registry::Staging, used directly (no plugin loading).
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ftcore/registry.hpp"
#include "fixtures/fixture_method.hpp"

namespace {

using ftcore::ComponentKind;
using ftcore::ComponentOrigin;
using ftcore::Registry;

class Handler final : public ftcore::ModelHandler {
 public:
  explicit Handler(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::string description() const override { return "handler " + name_; }
  int recognise(const nlohmann::json& config) const override {
    return config.value("model_type", "") == name_ ? 1 : 0;
  }
  ftcore::FamilyFacts facts(const nlohmann::json&) const override { return {}; }
  ftcore::nn::DecoderSpec architecture(const nlohmann::json&) const override { return {}; }
  nlohmann::json make_config(const ftcore::ModelSize&, const ftcore::TokenIds&) const override { return {}; }

 private:
  std::string name_;
};

class Format final : public ftcore::DatasetFormat {
 public:
  explicit Format(std::string name, std::string description = "")
      : name_(std::move(name)), description_(std::move(description)) {}
  std::string name() const override { return name_; }
  std::string description() const override {
    return description_.empty() ? "format " + name_ : description_;
  }
  double score(const nlohmann::json& record) const override { return record.is_string() ? 1 : 0; }
  ftcore::Sample convert(const nlohmann::json& record) const override {
    if (!record.is_string()) throw ftcore::FormatError("", "expected a string");
    ftcore::Sample sample;
    sample.kind = ftcore::Sample::Kind::text;
    sample.text = record.get<std::string>();
    return sample;
  }
  std::vector<nlohmann::json> examples() const override { return {"text"}; }

 private:
  std::string name_, description_;
};

class Method final : public fixture::LoadingOnlyMethod {
 public:
  explicit Method(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::string description() const override { return "method " + name_; }
  std::vector<std::pair<std::string, std::string>> defaults() const override {
    return {{"epochs", "1"}};
  }

 private:
  std::string name_;
};

class CountingPolicy final : public ftcore::StopPolicy {
 public:
  std::string name() const override { return "counting"; }
  std::string description() const override { return "stops at the third evaluation"; }
  void adjust_plan(ftcore::TrainingPlan&, const ftcore::Options&) override {}
  ftcore::StopDecision on_evaluation(const ftcore::Evaluation&) override {
    ftcore::StopDecision decision;
    if (++count_ >= 3) decision.action = ftcore::StopDecision::Action::stop;
    return decision;
  }
  int count() const { return count_; }

 private:
  int count_ = 0;
};

std::unique_ptr<ftcore::StopPolicy> make_counting() { return std::make_unique<CountingPolicy>(); }

ComponentOrigin origin(const std::string& plugin, const std::string& path = "") {
  return ComponentOrigin{plugin, path};
}

}  // namespace

TEST(ComponentKind, Names) {
  EXPECT_STREQ(ftcore::component_kind_name(ComponentKind::handler), "handler");
  EXPECT_STREQ(ftcore::component_kind_name(ComponentKind::format), "format");
  EXPECT_STREQ(ftcore::component_kind_name(ComponentKind::method), "method");
  EXPECT_STREQ(ftcore::component_kind_name(ComponentKind::stop_policy), "stop-policy");
}

TEST(Registry, EmptyRegistryFindsNothing) {
  Registry registry;
  EXPECT_EQ(registry.handler("x"), nullptr);
  EXPECT_EQ(registry.format("x"), nullptr);
  EXPECT_EQ(registry.method("x"), nullptr);
  EXPECT_EQ(registry.make_stop_policy("x"), nullptr);
  EXPECT_EQ(registry.origin(ComponentKind::format, "x"), nullptr);
  for (auto kind : {ComponentKind::handler, ComponentKind::format, ComponentKind::method,
                    ComponentKind::stop_policy})
    EXPECT_TRUE(registry.names(kind).empty());
  EXPECT_TRUE(registry.handlers().empty());
  EXPECT_TRUE(registry.formats().empty());
  EXPECT_TRUE(registry.methods().empty());
}

TEST(Registry, CommitAddsEveryKindWithOrigin) {
  Registry registry;
  Registry::Staging staged(origin("p", "/plugins/p.so"));
  staged.add(std::make_unique<Handler>("h"));
  staged.add(std::make_unique<Format>("f"));
  staged.add(std::make_unique<Method>("m"));
  staged.add_stop_policy("counting", "stops at the third evaluation", &make_counting);

  auto components = staged.components();
  ASSERT_EQ(components.size(), 4u);
  EXPECT_EQ(components[0], std::make_pair(ComponentKind::handler, std::string("h")));
  EXPECT_EQ(components[1], std::make_pair(ComponentKind::format, std::string("f")));
  EXPECT_EQ(components[2], std::make_pair(ComponentKind::method, std::string("m")));
  EXPECT_EQ(components[3], std::make_pair(ComponentKind::stop_policy, std::string("counting")));

  registry.commit(std::move(staged));

  ASSERT_NE(registry.handler("h"), nullptr);
  EXPECT_EQ(registry.handler("h")->name(), "h");
  ASSERT_NE(registry.format("f"), nullptr);
  EXPECT_EQ(registry.format("f")->convert("hi").text, "hi");
  ASSERT_NE(registry.method("m"), nullptr);
  EXPECT_EQ(registry.method("m")->defaults().size(), 1u);
  EXPECT_NE(registry.make_stop_policy("counting"), nullptr);

  for (auto kind : {ComponentKind::handler, ComponentKind::format, ComponentKind::method,
                    ComponentKind::stop_policy}) {
    auto names = registry.names(kind);
    ASSERT_EQ(names.size(), 1u) << ftcore::component_kind_name(kind);
    const ComponentOrigin* where = registry.origin(kind, names[0]);
    ASSERT_NE(where, nullptr);
    EXPECT_EQ(where->plugin, "p");
    EXPECT_EQ(where->path, "/plugins/p.so");
  }
  EXPECT_EQ(registry.handlers().size(), 1u);
  EXPECT_EQ(registry.formats().size(), 1u);
  EXPECT_EQ(registry.methods().size(), 1u);
}

TEST(Registry, NamesAreSorted) {
  Registry registry;
  Registry::Staging staged(origin("p"));
  for (const char* name : {"zeta", "alpha", "mu", "beta"}) staged.add(std::make_unique<Format>(name));
  registry.commit(std::move(staged));
  Registry::Staging more(origin("q"));
  more.add(std::make_unique<Format>("gamma"));
  registry.commit(std::move(more));

  EXPECT_EQ(registry.names(ComponentKind::format),
            (std::vector<std::string>{"alpha", "beta", "gamma", "mu", "zeta"}));
  // formats() follows the same order.
  std::vector<std::string> from_objects;
  for (const auto* format : registry.formats()) from_objects.push_back(format->name());
  EXPECT_EQ(from_objects, registry.names(ComponentKind::format));
}

TEST(Registry, SameNameAllowedAcrossKinds) {
  Registry registry;
  Registry::Staging staged(origin("p"));
  staged.add(std::make_unique<Handler>("same"));
  staged.add(std::make_unique<Format>("same"));
  staged.add(std::make_unique<Method>("same"));
  staged.add_stop_policy("same", "d", &make_counting);
  EXPECT_NO_THROW(registry.commit(std::move(staged)));
  EXPECT_NE(registry.handler("same"), nullptr);
  EXPECT_NE(registry.format("same"), nullptr);
  EXPECT_NE(registry.method("same"), nullptr);
}

TEST(Registry, CommitRejectsAPluginRegisteringTheSameNameTwice) {
  Registry registry;
  Registry::Staging staged(origin("twice", "/x/twice.so"));
  staged.add(std::make_unique<Method>("ok"));
  staged.add(std::make_unique<Format>("f"));
  staged.add(std::make_unique<Format>("f"));
  try {
    registry.commit(std::move(staged));
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("'f'"), std::string::npos) << message;
    EXPECT_NE(message.find("twice"), std::string::npos) << message;
    EXPECT_NE(message.find("/x/twice.so"), std::string::npos) << message;
  }
  // Nothing from that plugin was added.
  EXPECT_EQ(registry.method("ok"), nullptr);
  EXPECT_EQ(registry.format("f"), nullptr);
}

TEST(Registry, CommitRejectsAStopPolicyRegisteredTwice) {
  Registry registry;
  Registry::Staging staged(origin("twice"));
  staged.add_stop_policy("counting", "a", &make_counting);
  staged.add_stop_policy("counting", "b", &make_counting);
  EXPECT_THROW(registry.commit(std::move(staged)), std::runtime_error);
  EXPECT_EQ(registry.make_stop_policy("counting"), nullptr);
}

TEST(Registry, ClashWithAnEarlierPluginNamesBothOriginsAndAddsNothing) {
  Registry registry;
  Registry::Staging first(origin("first", "/a/first.so"));
  first.add(std::make_unique<Format>("shared", "the first one"));
  registry.commit(std::move(first));

  Registry::Staging second(origin("second", "/b/second.so"));
  second.add(std::make_unique<Method>("only-in-second"));
  second.add(std::make_unique<Format>("shared", "the second one"));
  try {
    registry.commit(std::move(second));
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("duplicate format name 'shared'"), std::string::npos) << message;
    EXPECT_NE(message.find("/a/first.so"), std::string::npos) << message;
    EXPECT_NE(message.find("/b/second.so"), std::string::npos) << message;
  }
  EXPECT_EQ(registry.description(ComponentKind::format, "shared"), "the first one");
  EXPECT_EQ(registry.origin(ComponentKind::format, "shared")->plugin, "first");
  EXPECT_EQ(registry.method("only-in-second"), nullptr);
  EXPECT_EQ(registry.names(ComponentKind::method).size(), 0u);
}

TEST(Registry, BuiltInOriginIsDescribedWithoutPath) {
  Registry registry;
  Registry::Staging first(origin("engine"));
  first.add(std::make_unique<Method>("m"));
  registry.commit(std::move(first));
  Registry::Staging second(origin("other", "/o.so"));
  second.add(std::make_unique<Method>("m"));
  try {
    registry.commit(std::move(second));
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("built into ftcore"), std::string::npos) << e.what();
  }
}

TEST(Registry, MakeStopPolicyReturnsFreshInstances) {
  Registry registry;
  Registry::Staging staged(origin("p"));
  staged.add_stop_policy("counting", "stops at the third evaluation", &make_counting);
  registry.commit(std::move(staged));

  auto first = registry.make_stop_policy("counting");
  ASSERT_NE(first, nullptr);
  ftcore::Evaluation evaluation;
  first->on_evaluation(evaluation);
  first->on_evaluation(evaluation);
  EXPECT_EQ(first->on_evaluation(evaluation).action, ftcore::StopDecision::Action::stop);

  auto second = registry.make_stop_policy("counting");
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first.get(), second.get());
  EXPECT_EQ(dynamic_cast<CountingPolicy&>(*second).count(), 0);
  EXPECT_EQ(second->on_evaluation(evaluation).action, ftcore::StopDecision::Action::go_on);
  EXPECT_EQ(dynamic_cast<CountingPolicy&>(*first).count(), 3);
}

TEST(Registry, DescriptionOfEveryKind) {
  Registry registry;
  Registry::Staging staged(origin("p"));
  staged.add(std::make_unique<Handler>("h"));
  staged.add(std::make_unique<Format>("f"));
  staged.add(std::make_unique<Method>("m"));
  staged.add_stop_policy("s", "policy s", &make_counting);
  registry.commit(std::move(staged));
  EXPECT_EQ(registry.description(ComponentKind::handler, "h"), "handler h");
  EXPECT_EQ(registry.description(ComponentKind::format, "f"), "format f");
  EXPECT_EQ(registry.description(ComponentKind::method, "m"), "method m");
  EXPECT_EQ(registry.description(ComponentKind::stop_policy, "s"), "policy s");
}

TEST(Registry, DescriptionThrowsOutOfRangeForAnUnknownName) {
  Registry registry;
  Registry::Staging staged(origin("p"));
  staged.add(std::make_unique<Format>("f"));
  registry.commit(std::move(staged));
  for (auto kind : {ComponentKind::handler, ComponentKind::format, ComponentKind::method,
                    ComponentKind::stop_policy})
    EXPECT_THROW(registry.description(kind, "nope"), std::out_of_range)
        << ftcore::component_kind_name(kind);
  // "f" is a format, not a method.
  EXPECT_THROW(registry.description(ComponentKind::method, "f"), std::out_of_range);
  try {
    registry.description(ComponentKind::format, "nope");
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
}

TEST(RegistryStaging, RejectsEmptyNamesAndNulls) {
  Registry::Staging staged(origin("p"));
  EXPECT_THROW(staged.add(std::make_unique<Handler>("")), std::invalid_argument);
  EXPECT_THROW(staged.add(std::make_unique<Format>("")), std::invalid_argument);
  EXPECT_THROW(staged.add(std::make_unique<Method>("")), std::invalid_argument);
  EXPECT_THROW(staged.add_stop_policy("", "d", &make_counting), std::invalid_argument);
  EXPECT_THROW(staged.add_stop_policy("s", "d", nullptr), std::invalid_argument);
  EXPECT_THROW(staged.add(std::unique_ptr<ftcore::ModelHandler>()), std::invalid_argument);
  EXPECT_THROW(staged.add(std::unique_ptr<ftcore::DatasetFormat>()), std::invalid_argument);
  EXPECT_THROW(staged.add(std::unique_ptr<ftcore::TrainingMethod>()), std::invalid_argument);
  EXPECT_TRUE(staged.components().empty());
}

TEST(RegistryStaging, DroppedStagingAddsNothing) {
  Registry registry;
  {
    Registry::Staging staged(origin("p"));
    staged.add(std::make_unique<Format>("f"));
  }
  EXPECT_EQ(registry.format("f"), nullptr);
}
