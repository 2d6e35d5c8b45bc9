// The plugin loader, with REAL plugins: good ones and malformed ones built from fixtures/*.cpp
// (see CMakeLists.txt). Each test copies the fixtures it needs into its own temporary directory:
// libraries stay loaded for the life of the process and the loader skips a canonical path it has
// seen, so every test works on fresh paths.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <torch/version.h>

#include "test_support.hpp"
#include "config/options.hpp"
#include "ftcore/plugin.hpp"
#include "ftcore/version.hpp"
#include "plugins/loader.hpp"
#include "plugins/trust.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;
using ftcore::ComponentKind;
using ftcore::PluginReport;
using ftcore::PluginSearch;
using ftcore::PluginSource;
using ftcore::Registry;
using ftcore::testing::ScopedEnv;
using ftcore::testing::TempDir;

namespace {

fs::path fixture(const std::string& name) {
  return fs::path(FTCORE_TEST_FIXTURE_DIR) / (name + ".so");
}

/// Copies fixture `name` to `destination` (parents created) and returns `destination`.
fs::path copy_fixture(const std::string& name, const fs::path& destination) {
  fs::path source = fixture(name);
  if (!fs::exists(source)) throw std::runtime_error("fixture not built: " + source.string());
  fs::create_directories(destination.parent_path());
  fs::copy_file(source, destination, fs::copy_options::overwrite_existing);
  return destination;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> loaded_names(const PluginReport& report) {
  std::vector<std::string> names;
  for (const auto& plugin : report.loaded) names.push_back(plugin.name);
  return names;
}

std::string all_failures(const PluginReport& report) {
  std::string out;
  for (const auto& failure : report.failures) out += failure.message() + "\n";
  return out;
}

/// Loads exactly one file given as --plugin and expects it to fail; returns the failure line.
std::string single_failure(const fs::path& file, Registry& registry) {
  PluginSearch search;
  search.flag_paths = {file};
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_TRUE(report.loaded.empty());
  EXPECT_EQ(report.failures.size(), 1u) << all_failures(report);
  if (report.failures.empty()) return "";
  EXPECT_EQ(report.failures[0].path, file);
  std::string message = report.failures[0].message();
  EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  EXPECT_TRUE(contains(message, file.string())) << message;
  return message;
}

bool registry_is_empty(const Registry& registry) {
  for (auto kind : {ComponentKind::handler, ComponentKind::format, ComponentKind::method,
                    ComponentKind::stop_policy})
    if (!registry.names(kind).empty()) return false;
  return true;
}

}  // namespace

// ---- small helpers -------------------------------------------------------------------------

TEST(PluginPath, FromEnvSplitsOnColons) {
  ScopedEnv env("FTCORE_PLUGIN_PATH", "/opt/a:/opt/b/c.so::relative/dir:");
  EXPECT_EQ(ftcore::plugin_path_from_env(),
            (std::vector<fs::path>{"/opt/a", "/opt/b/c.so", "relative/dir"}));
}

TEST(PluginPath, FromEnvSingleEntry) {
  ScopedEnv env("FTCORE_PLUGIN_PATH", "/only/one");
  EXPECT_EQ(ftcore::plugin_path_from_env(), (std::vector<fs::path>{"/only/one"}));
}

TEST(PluginPath, FromEnvUnsetOrEmpty) {
  {
    ScopedEnv env("FTCORE_PLUGIN_PATH", nullptr);
    EXPECT_TRUE(ftcore::plugin_path_from_env().empty());
  }
  {
    ScopedEnv env("FTCORE_PLUGIN_PATH", "");
    EXPECT_TRUE(ftcore::plugin_path_from_env().empty());
  }
}

TEST(PluginPath, BuiltinDirIsBesideTheExecutable) {
  fs::path dir = ftcore::builtin_plugin_dir();
  EXPECT_TRUE(dir.is_absolute()) << dir;
  EXPECT_EQ(dir.filename(), "plugins");
  EXPECT_EQ(dir.parent_path().filename(), "ftcore");
  EXPECT_EQ(dir.parent_path().parent_path().filename(), "lib");
  // The test fixtures never land there.
  EXPECT_NE(fs::weakly_canonical(dir), fs::weakly_canonical(FTCORE_TEST_FIXTURE_DIR));
}

TEST(PluginPath, SourceNames) {
  EXPECT_STREQ(ftcore::plugin_source_name(PluginSource::builtin), "built-in");
  EXPECT_STREQ(ftcore::plugin_source_name(PluginSource::env), "FTCORE_PLUGIN_PATH");
  EXPECT_STREQ(ftcore::plugin_source_name(PluginSource::flag), "--plugin");
  EXPECT_STREQ(ftcore::plugin_source_name(PluginSource::model_dir), "model directory");
}

TEST(PluginLoader, FixturesAreBuilt) {
  for (const char* name : {"fixture_good", "fixture_order_a", "fixture_order_b", "fixture_order_c",
                           "fixture_order_d", "fixture_no_entry", "fixture_bad_abi",
                           "fixture_bad_torch", "fixture_throws", "fixture_dup_name_1",
                           "fixture_dup_name_2", "fixture_dup_format_1", "fixture_dup_format_2",
                           "fixture_null_fields"})
    EXPECT_TRUE(fs::is_regular_file(fixture(name))) << fixture(name);
}

// ---- the good case -------------------------------------------------------------------------

TEST(PluginLoader, GoodPluginRegistersOneComponentOfEachKind) {
  TempDir dir;
  fs::path path = copy_fixture("fixture_good", dir.path() / "good.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {path};
  PluginReport report = ftcore::load_plugins(search, registry);

  ASSERT_TRUE(report.failures.empty()) << all_failures(report);
  ASSERT_EQ(report.loaded.size(), 1u);
  const auto& plugin = report.loaded[0];
  EXPECT_EQ(plugin.name, "fixture-good");
  EXPECT_EQ(plugin.version, "1.2.3");
  EXPECT_EQ(plugin.description, "Test plugin with one component of each kind");
  EXPECT_EQ(plugin.sdk_version, FTCORE_SDK_VERSION);
  EXPECT_EQ(plugin.torch_version, TORCH_VERSION);
  EXPECT_EQ(plugin.path, path);
  EXPECT_EQ(plugin.source, PluginSource::flag);
  using Item = std::pair<ComponentKind, std::string>;
  EXPECT_EQ(plugin.components, (std::vector<Item>{{ComponentKind::handler, "fixture-handler"},
                                                  {ComponentKind::format, "fixture-format"},
                                                  {ComponentKind::method, "fixture-method"},
                                                  {ComponentKind::stop_policy, "fixture-stop"}}));

  // Found by name, and they work.
  const ftcore::ModelHandler* handler = registry.handler("fixture-handler");
  ASSERT_NE(handler, nullptr);
  EXPECT_EQ(handler->recognise({{"model_type", "fixture"}}), 10);
  EXPECT_EQ(handler->recognise({{"model_type", "llama"}}), 0);
  EXPECT_EQ(handler->facts({{"max_position_embeddings", 4096}}).max_length, 4096);
  EXPECT_THROW(handler->facts({{"max_position_embeddings", "x"}}), std::invalid_argument);

  const ftcore::DatasetFormat* format = registry.format("fixture-format");
  ASSERT_NE(format, nullptr);
  EXPECT_EQ(format->score({{"text", "hi"}}), 1.0);
  EXPECT_EQ(format->score({{"prompt", "hi"}}), 0.0);
  EXPECT_EQ(format->convert({{"text", "hi"}}).text, "hi");
  // A FormatError thrown inside the plugin is caught here by type: one type across libraries.
  try {
    format->convert({{"other", 1}});
    FAIL() << "expected ftcore::FormatError";
  } catch (const ftcore::FormatError& e) {
    EXPECT_EQ(e.field(), "text");
  }
  for (const auto& example : format->examples()) EXPECT_NO_THROW(format->convert(example));

  const ftcore::TrainingMethod* method = registry.method("fixture-method");
  ASSERT_NE(method, nullptr);
  using Default = std::pair<std::string, std::string>;
  EXPECT_EQ(method->defaults(), (std::vector<Default>{{"learning-rate", "1e-4"}}));

  auto policy = registry.make_stop_policy("fixture-stop");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->name(), "fixture-stop");
  ftcore::Evaluation evaluation;
  EXPECT_EQ(policy->on_evaluation(evaluation).action, ftcore::StopDecision::Action::go_on);
  EXPECT_EQ(policy->on_evaluation(evaluation).action, ftcore::StopDecision::Action::stop);
  auto fresh = registry.make_stop_policy("fixture-stop");
  ASSERT_NE(fresh, nullptr);
  EXPECT_NE(fresh.get(), policy.get());
  EXPECT_EQ(fresh->on_evaluation(evaluation).action, ftcore::StopDecision::Action::go_on);
  ftcore::TrainingPlan plan;
  ftcore::config::Config options;
  fresh->adjust_plan(plan, options);
  EXPECT_EQ(plan.epochs, 1);

  EXPECT_EQ(registry.description(ComponentKind::stop_policy, "fixture-stop"),
            "Stops after two evaluations");
  EXPECT_EQ(registry.description(ComponentKind::method, "fixture-method"), "Fixture training method");

  // Origins show the plugin and its path.
  for (auto [kind, name] : plugin.components) {
    const ftcore::ComponentOrigin* origin = registry.origin(kind, name);
    ASSERT_NE(origin, nullptr) << name;
    EXPECT_EQ(origin->plugin, "fixture-good");
    EXPECT_EQ(origin->path, path.string());
  }
}

TEST(PluginLoader, NothingToLoad) {
  TempDir dir;
  Registry registry;
  PluginSearch search;
  search.builtin_dir = dir.path() / "no-builtin-dir";  // a missing built-in dir is not an error
  search.model_dir = dir.path() / "model";             // nor a model without ftcore-plugins/
  fs::create_directories(dir.path() / "model");
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_TRUE(report.loaded.empty());
  EXPECT_TRUE(report.failures.empty()) << all_failures(report);
  EXPECT_TRUE(registry_is_empty(registry));
}

// ---- discovery and order -------------------------------------------------------------------

TEST(PluginLoader, SearchOrderIsBuiltinEnvFlagThenModelDir) {
  TempDir dir;
  // Give them paths that sort the opposite way, so order cannot come from the names.
  copy_fixture("fixture_order_a", dir.path() / "z-builtin" / "a.so");
  copy_fixture("fixture_order_b", dir.path() / "y-env" / "b.so");
  fs::path c = copy_fixture("fixture_order_c", dir.path() / "x-flag" / "c.so");
  copy_fixture("fixture_order_d", dir.path() / "w-model" / "ftcore-plugins" / "d.so");

  Registry registry;
  PluginSearch search;
  search.model_dir = dir.path() / "w-model";
  search.trust_model_plugins = true;
  search.flag_paths = {c};
  search.env_paths = {dir.path() / "y-env"};
  search.builtin_dir = dir.path() / "z-builtin";
  PluginReport report = ftcore::load_plugins(search, registry);

  ASSERT_TRUE(report.failures.empty()) << all_failures(report);
  EXPECT_EQ(loaded_names(report),
            (std::vector<std::string>{"fixture-a", "fixture-b", "fixture-c", "fixture-d"}));
  ASSERT_EQ(report.loaded.size(), 4u);
  EXPECT_EQ(report.loaded[0].source, PluginSource::builtin);
  EXPECT_EQ(report.loaded[1].source, PluginSource::env);
  EXPECT_EQ(report.loaded[2].source, PluginSource::flag);
  EXPECT_EQ(report.loaded[3].source, PluginSource::model_dir);
  EXPECT_EQ(report.loaded[0].path, dir.path() / "z-builtin" / "a.so");
  EXPECT_EQ(report.loaded[1].path, dir.path() / "y-env" / "b.so");
  EXPECT_EQ(report.loaded[2].path, c);
  EXPECT_EQ(report.loaded[3].path, dir.path() / "w-model" / "ftcore-plugins" / "d.so");
  EXPECT_EQ(registry.names(ComponentKind::method),
            (std::vector<std::string>{"method-a", "method-b", "method-c", "method-d"}));
  EXPECT_EQ(registry.origin(ComponentKind::method, "method-d")->path,
            (dir.path() / "w-model" / "ftcore-plugins" / "d.so").string());
}

TEST(PluginLoader, EnvAndFlagEntriesKeepTheirOwnOrder) {
  TempDir dir;
  fs::path a = copy_fixture("fixture_order_a", dir.path() / "a.so");
  fs::path b = copy_fixture("fixture_order_b", dir.path() / "b.so");
  fs::path c = copy_fixture("fixture_order_c", dir.path() / "c.so");
  fs::path d = copy_fixture("fixture_order_d", dir.path() / "d.so");
  Registry registry;
  PluginSearch search;
  search.env_paths = {d, b};
  search.flag_paths = {c, a};
  PluginReport report = ftcore::load_plugins(search, registry);
  ASSERT_TRUE(report.failures.empty()) << all_failures(report);
  EXPECT_EQ(loaded_names(report),
            (std::vector<std::string>{"fixture-d", "fixture-b", "fixture-c", "fixture-a"}));
}

TEST(PluginLoader, DirectoryEntryLoadsEverySoFileSorted) {
  TempDir dir;
  fs::path plugins = dir.path() / "plugins";
  copy_fixture("fixture_order_c", plugins / "10-c.so");
  copy_fixture("fixture_order_a", plugins / "02-a.so");
  copy_fixture("fixture_order_b", plugins / "05-b.so");
  dir.write("plugins/README.txt", "not a plugin, and not named .so");
  dir.write("plugins/notes.so.txt", "not a plugin either");
  fs::create_directories(plugins / "subdir.so");  // a directory named .so is skipped
  copy_fixture("fixture_order_d", plugins / "nested" / "d.so");  // no recursion

  Registry registry;
  PluginSearch search;
  search.flag_paths = {plugins};
  PluginReport report = ftcore::load_plugins(search, registry);
  ASSERT_TRUE(report.failures.empty()) << all_failures(report);
  EXPECT_EQ(loaded_names(report),
            (std::vector<std::string>{"fixture-a", "fixture-b", "fixture-c"}));
  EXPECT_EQ(report.loaded[0].path, plugins / "02-a.so");
  EXPECT_EQ(registry.method("method-d"), nullptr);
}

TEST(PluginLoader, SameFileReachedTwiceIsLoadedOnce) {
  TempDir dir;
  fs::path plugins = dir.path() / "plugins";
  fs::path a = copy_fixture("fixture_order_a", plugins / "a.so");
  fs::create_directories(dir.path() / "links");
  fs::create_symlink(a, dir.path() / "links" / "link-to-a.so");

  Registry registry;
  PluginSearch search;
  search.builtin_dir = plugins;
  search.env_paths = {plugins, a};
  search.flag_paths = {plugins / ".." / "plugins" / "a.so", dir.path() / "links"};
  search.model_dir = dir.path();  // no ftcore-plugins/ inside
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_TRUE(report.failures.empty()) << all_failures(report);
  ASSERT_EQ(report.loaded.size(), 1u);
  EXPECT_EQ(report.loaded[0].source, PluginSource::builtin);
  EXPECT_EQ(report.loaded[0].path, a);
}

TEST(PluginLoader, NonexistentEntryIsAFailureNamingIt) {
  TempDir dir;
  fs::path good = copy_fixture("fixture_order_a", dir.path() / "a.so");
  fs::path missing_flag = dir.path() / "missing.so";
  fs::path missing_env = dir.path() / "no-such-dir";
  Registry registry;
  PluginSearch search;
  search.env_paths = {missing_env};
  search.flag_paths = {missing_flag, good};
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_EQ(loaded_names(report), (std::vector<std::string>{"fixture-a"}));
  ASSERT_EQ(report.failures.size(), 2u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, missing_env);
  EXPECT_TRUE(contains(report.failures[0].message(), missing_env.string()));
  EXPECT_TRUE(contains(report.failures[0].reason, "no such file or directory"));
  EXPECT_TRUE(contains(report.failures[0].reason, "FTCORE_PLUGIN_PATH"));
  EXPECT_EQ(report.failures[1].path, missing_flag);
  EXPECT_TRUE(contains(report.failures[1].message(), missing_flag.string()));
  EXPECT_TRUE(contains(report.failures[1].reason, "--plugin"));
}

TEST(PluginLoader, FailuresDoNotStopTheOthers) {
  TempDir dir;
  fs::path plugins = dir.path() / "plugins";
  dir.write("plugins/1-text.so", "this is not an ELF file\n");
  copy_fixture("fixture_no_entry", plugins / "2-no-entry.so");
  copy_fixture("fixture_order_a", plugins / "3-good.so");
  copy_fixture("fixture_throws", plugins / "4-throws.so");
  copy_fixture("fixture_order_b", plugins / "5-good.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {plugins};
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_EQ(loaded_names(report), (std::vector<std::string>{"fixture-a", "fixture-b"}));
  ASSERT_EQ(report.failures.size(), 3u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, plugins / "1-text.so");
  EXPECT_EQ(report.failures[1].path, plugins / "2-no-entry.so");
  EXPECT_EQ(report.failures[2].path, plugins / "4-throws.so");
  EXPECT_EQ(registry.names(ComponentKind::method),
            (std::vector<std::string>{"method-a", "method-b"}));
}

// ---- malformed plugins, one cause each -----------------------------------------------------

TEST(PluginLoader, NotASharedLibrary) {
  TempDir dir;
  fs::path file = dir.write("x.so", "#!/bin/sh\necho I am a text file\n");
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "not a shared library")) << message;
  EXPECT_TRUE(registry_is_empty(registry));
}

TEST(PluginLoader, EmptyFileIsNotASharedLibrary) {
  TempDir dir;
  fs::path file = dir.write("empty.so", "");
  Registry registry;
  EXPECT_TRUE(contains(single_failure(file, registry), "not a shared library"));
}

TEST(PluginLoader, TruncatedFile) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_good", dir.path() / "truncated.so");
  fs::resize_file(file, fs::file_size(file) * 40 / 100);
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "truncated file")) << message;
  EXPECT_TRUE(registry_is_empty(registry));
}

TEST(PluginLoader, TruncatedInsideTheElfHeader) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_good", dir.path() / "tiny.so");
  fs::resize_file(file, 20);
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "truncated file")) << message;
  EXPECT_TRUE(contains(message, "20 bytes")) << message;
}

TEST(PluginLoader, MissingEntrySymbol) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_no_entry", dir.path() / "no-entry.so");
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "missing entry symbol")) << message;
  EXPECT_TRUE(contains(message, FTCORE_PLUGIN_ENTRY_SYMBOL)) << message;
}

TEST(PluginLoader, AbiVersionMismatchShowsBothNumbers) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_bad_abi", dir.path() / "bad-abi.so");
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "ABI version mismatch")) << message;
  EXPECT_TRUE(contains(message, "plugin has " + std::to_string(FTCORE_ABI_VERSION + 1))) << message;
  EXPECT_TRUE(contains(message, "this ftcore has " + std::to_string(FTCORE_ABI_VERSION))) << message;
}

TEST(PluginLoader, TorchVersionMismatchShowsBothVersions) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_bad_torch", dir.path() / "bad-torch.so");
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "libtorch version mismatch")) << message;
  EXPECT_TRUE(contains(message, "0.1.0")) << message;
  EXPECT_TRUE(contains(message, TORCH_VERSION)) << message;
}

TEST(PluginLoader, ThrowingRegisterFunctionAddsNothing) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_throws", dir.path() / "throws.so");
  Registry registry;
  std::string message = single_failure(file, registry);
  EXPECT_TRUE(contains(message, "boom")) << message;
  EXPECT_TRUE(contains(message, "fixture-throws")) << message;
  // It added "throws-method" before throwing: transactional, so the registry has nothing.
  EXPECT_EQ(registry.method("throws-method"), nullptr);
  EXPECT_TRUE(registry_is_empty(registry));
}

TEST(PluginLoader, DuplicatePluginNameShowsBothPaths) {
  TempDir dir;
  fs::path first = copy_fixture("fixture_dup_name_1", dir.path() / "one" / "dup.so");
  fs::path second = copy_fixture("fixture_dup_name_2", dir.path() / "two" / "dup.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {first, second};
  PluginReport report = ftcore::load_plugins(search, registry);
  ASSERT_EQ(report.loaded.size(), 1u);
  EXPECT_EQ(report.loaded[0].path, first);
  EXPECT_EQ(report.loaded[0].version, "0.0.1");
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, second);
  std::string message = report.failures[0].message();
  EXPECT_TRUE(contains(message, "duplicate plugin name 'fixture-dup'")) << message;
  EXPECT_TRUE(contains(message, first.string())) << message;
  EXPECT_TRUE(contains(message, second.string())) << message;
  EXPECT_NE(registry.method("dup-name-method-1"), nullptr);
  EXPECT_EQ(registry.method("dup-name-method-2"), nullptr);
}

TEST(PluginLoader, DuplicateComponentNameShowsBothPathsAndKeepsTheFirst) {
  TempDir dir;
  fs::path first = copy_fixture("fixture_dup_format_1", dir.path() / "first.so");
  fs::path second = copy_fixture("fixture_dup_format_2", dir.path() / "second.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {first, second};
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_EQ(loaded_names(report), (std::vector<std::string>{"fixture-dup-format-1"}));
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, second);
  std::string message = report.failures[0].message();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_TRUE(contains(message, "dup-format")) << message;
  EXPECT_TRUE(contains(message, first.string())) << message;
  EXPECT_TRUE(contains(message, second.string())) << message;

  // The first one's component stays; nothing of the second was added.
  ASSERT_NE(registry.format("dup-format"), nullptr);
  EXPECT_EQ(registry.description(ComponentKind::format, "dup-format"), "dup-format from plugin 1");
  EXPECT_EQ(registry.origin(ComponentKind::format, "dup-format")->path, first.string());
  EXPECT_NE(registry.method("dup-format-method-1"), nullptr);
  EXPECT_EQ(registry.method("dup-format-method-2"), nullptr);
  EXPECT_EQ(registry.formats().size(), 1u);
}

// ---- plugins next to the model -------------------------------------------------------------

TEST(PluginLoader, ModelDirPluginIsUntrustedByDefault) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_good", dir.path() / "model" / "ftcore-plugins" / "good.so");
  Registry registry;
  PluginSearch search;
  search.model_dir = dir.path() / "model";
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_TRUE(report.loaded.empty());
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, file);
  std::string message = report.failures[0].message();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_TRUE(contains(message, "untrusted")) << message;
  EXPECT_TRUE(contains(message, "ftcore plugins trust")) << message;
  EXPECT_TRUE(contains(message, "--trust-model-plugins")) << message;
  EXPECT_TRUE(contains(message, ftcore::sha256_file_hex(file))) << message;
  EXPECT_TRUE(registry_is_empty(registry));
}

TEST(PluginLoader, ModelDirPluginLoadsWithTrustModelPlugins) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_good", dir.path() / "model" / "ftcore-plugins" / "good.so");
  Registry registry;
  PluginSearch search;
  search.model_dir = dir.path() / "model";
  search.trust_model_plugins = true;
  PluginReport report = ftcore::load_plugins(search, registry);
  ASSERT_TRUE(report.failures.empty()) << all_failures(report);
  ASSERT_EQ(report.loaded.size(), 1u);
  EXPECT_EQ(report.loaded[0].source, PluginSource::model_dir);
  EXPECT_EQ(report.loaded[0].path, file);
  EXPECT_NE(registry.format("fixture-format"), nullptr);
}

TEST(PluginLoader, ModelDirPluginLoadsWhenItsHashIsInTheTrustStore) {
  TempDir dir;
  fs::path plugins = dir.path() / "model" / "ftcore-plugins";
  fs::path trusted = copy_fixture("fixture_good", plugins / "1-good.so");
  fs::path untrusted = copy_fixture("fixture_order_a", plugins / "2-other.so");
  fs::path trust_file = dir.path() / "config" / "trusted-plugins";
  ftcore::TrustStore(trust_file).trust(trusted);  // what `ftcore plugins trust FILE` does

  ftcore::TrustStore store(trust_file);  // read back from disk
  Registry registry;
  PluginSearch search;
  search.model_dir = dir.path() / "model";
  search.trust = &store;
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_EQ(loaded_names(report), (std::vector<std::string>{"fixture-good"}));
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, untrusted);
  EXPECT_TRUE(contains(report.failures[0].message(), "ftcore plugins trust"));
  EXPECT_NE(registry.handler("fixture-handler"), nullptr);
  EXPECT_EQ(registry.method("method-a"), nullptr);
}

TEST(PluginLoader, TrustIsByContentNotByPath) {
  TempDir dir;
  fs::path plugins = dir.path() / "model" / "ftcore-plugins";
  fs::path file = copy_fixture("fixture_order_b", plugins / "b.so");
  fs::path trust_file = dir.path() / "trusted-plugins";
  ftcore::TrustStore(trust_file).trust(file);
  // The file changes after it was trusted: same path, different bytes.
  copy_fixture("fixture_order_c", file);
  ftcore::TrustStore store(trust_file);
  Registry registry;
  PluginSearch search;
  search.model_dir = dir.path() / "model";
  search.trust = &store;
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_TRUE(report.loaded.empty());
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_TRUE(contains(report.failures[0].message(), "ftcore plugins trust"));
}

TEST(PluginLoader, TrustIsOnlyAskedForModelDirPlugins) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_good", dir.path() / "chosen" / "good.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {file};  // named by the user: no trust needed
  PluginReport report = ftcore::load_plugins(search, registry);
  EXPECT_TRUE(report.failures.empty()) << all_failures(report);
  EXPECT_EQ(report.loaded.size(), 1u);
}

// ---- robustness: a bad file must never stop the loading of the others ------------------------

// An unreadable file in <model>/ftcore-plugins/ is a failure, not an exception that stops loading.
TEST(PluginLoader, DanglingSymlinkInModelDirIsAFailureNotAnException) {
  TempDir dir;
  fs::path plugins = dir.path() / "model" / "ftcore-plugins";
  fs::create_directories(plugins);
  fs::create_symlink(dir.path() / "gone.so", plugins / "1-dangling.so");
  fs::path good = copy_fixture("fixture_order_a", plugins / "2-good.so");
  Registry registry;
  PluginSearch search;
  search.model_dir = dir.path() / "model";
  search.trust_model_plugins = false;
  ftcore::TrustStore store(dir.path() / "trusted-plugins");
  store.trust(good);
  search.trust = &store;
  PluginReport report;
  ASSERT_NO_THROW(report = ftcore::load_plugins(search, registry));
  EXPECT_EQ(loaded_names(report), (std::vector<std::string>{"fixture-a"}));
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, plugins / "1-dangling.so");
}

TEST(PluginLoader, DanglingSymlinkInAPluginDirectoryIsAFailure) {
  TempDir dir;
  fs::path plugins = dir.path() / "plugins";
  fs::create_directories(plugins);
  fs::create_symlink(dir.path() / "gone.so", plugins / "1-dangling.so");
  copy_fixture("fixture_order_a", plugins / "2-good.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {plugins};
  PluginReport report;
  ASSERT_NO_THROW(report = ftcore::load_plugins(search, registry));
  EXPECT_EQ(loaded_names(report), (std::vector<std::string>{"fixture-a"}));
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_EQ(report.failures[0].path, plugins / "1-dangling.so");
}

// A hand-made descriptor with null strings is rejected with a message.
TEST(PluginLoader, NullStringsInTheDescriptorDoNotThrow) {
  TempDir dir;
  fs::path file = copy_fixture("fixture_null_fields", dir.path() / "1-null.so");
  fs::path good = copy_fixture("fixture_order_a", dir.path() / "2-good.so");
  Registry registry;
  PluginSearch search;
  search.flag_paths = {file, good};
  PluginReport report;
  ASSERT_NO_THROW(report = ftcore::load_plugins(search, registry));
  EXPECT_NE(registry.method("method-a"), nullptr);
  // Either outcome is acceptable: rejected with a message naming the file, or loaded.
  EXPECT_EQ(report.loaded.size() + report.failures.size(), 2u) << all_failures(report);
  for (const auto& failure : report.failures)
    EXPECT_TRUE(contains(failure.message(), file.string())) << failure.message();
}

// ---- issue 28: what trust covers -------------------------------------------------------------

namespace {

/// A trust store (in `dir`) holding the hash of `plugin`.
std::unique_ptr<ftcore::TrustStore> trusting(const TempDir& dir, const fs::path& plugin) {
  auto store = std::make_unique<ftcore::TrustStore>(dir.path() / "trusted-plugins");
  store->trust(plugin);
  return store;
}

PluginReport load_model_dir(const fs::path& model_dir, const ftcore::TrustStore* trust, bool trust_all = false) {
  Registry registry;
  PluginSearch search;
  search.model_dir = model_dir;
  search.trust = trust;
  search.trust_model_plugins = trust_all;
  return ftcore::load_plugins(search, registry);
}

}  // namespace

// The loader hashed the file by path and then loaded it again by path: swapping the file between
// the two ran an untrusted library in 2 of 3 tries. It now reads the file once, hashes those bytes
// and loads a sealed copy of them.
TEST(PluginLoader, TrustCannotBeRacedBySwappingTheFile) {
  TempDir dir;
  const fs::path model = dir.path() / "model", plugins = model / "ftcore-plugins", target = plugins / "plugin.so";
  const fs::path good = copy_fixture("fixture_good", dir.path() / "good.so");
  const fs::path evil = copy_fixture("fixture_evil", dir.path() / "evil.so");
  const fs::path marker = dir.path() / "untrusted-code-ran";
  ScopedEnv env("FTCORE_TEST_MARKER", marker.c_str());
  auto store = trusting(dir, good);
  copy_fixture("fixture_good", target);

  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    for (std::size_t i = 0; !stop; ++i) {
      const fs::path staged = plugins / (".swap-" + std::to_string(i));
      std::error_code ignored;
      fs::create_hard_link(i % 2 ? evil : good, staged, ignored);
      fs::rename(staged, target, ignored);
    }
  });
  std::size_t loaded = 0;
  for (int attempt = 0; attempt < 60; ++attempt) loaded += load_model_dir(model, store.get()).loaded.size();
  stop = true;
  swapper.join();
  EXPECT_FALSE(fs::exists(marker)) << "an untrusted library's constructor ran";
  EXPECT_GT(loaded, 0u) << "the trusted plugin never loaded while the file was being swapped";
}

// A trusted plugin with run path $ORIGIN/lib loaded ftcore-plugins/lib/libdep.so unchecked, so
// replacing that library after trusting the plugin ran new code. A model directory's plugin may not
// reach libraries in the model directory.
TEST(PluginLoader, ModelDirPluginMayNotLoadLibrariesFromTheModelDirectory) {
  TempDir dir;
  const fs::path model = dir.path() / "model";
  const fs::path plugin = copy_fixture("fixture_with_dep", model / "ftcore-plugins" / "with-dep.so");
  fs::create_directories(model / "ftcore-plugins" / "lib");
  fs::copy_file(fs::path(FTCORE_TEST_FIXTURE_DIR) / "deps" / "libftcore_test_dep.so",
                model / "ftcore-plugins" / "lib" / "libftcore_test_dep.so");
  const fs::path marker = dir.path() / "dependency-ran";
  ScopedEnv env("FTCORE_TEST_MARKER", marker.c_str());
  auto store = trusting(dir, plugin);
  for (bool trust_all : {false, true}) {
    PluginReport report = load_model_dir(model, store.get(), trust_all);
    EXPECT_TRUE(report.loaded.empty());
    ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
    const std::string message = report.failures[0].message();
    EXPECT_TRUE(contains(message, "its run path '$ORIGIN/lib' points into the model directory")) << message;
    EXPECT_TRUE(contains(message, "libraries installed on the system")) << message;
  }
  EXPECT_FALSE(fs::exists(marker)) << "a library of the model directory ran";
}

TEST(PluginLoader, ModelDirPluginWithAnAbsoluteOrRelativeRunPathThereIsRefused) {
  const fs::path model = FTCORE_TEST_RPATH_MODEL;  // the run path built into fixture_abs_rpath points in here
  std::error_code ignored;
  fs::remove_all(model, ignored);
  copy_fixture("fixture_abs_rpath", model / "ftcore-plugins" / "abs.so");
  copy_fixture("fixture_rel_rpath", model / "ftcore-plugins" / "rel.so");
  PluginReport report = load_model_dir(model, nullptr, /*trust_all=*/true);
  fs::remove_all(model, ignored);
  EXPECT_TRUE(report.loaded.empty());
  ASSERT_EQ(report.failures.size(), 2u) << all_failures(report);
  EXPECT_TRUE(contains(report.failures[0].message(), "points into the model directory")) << all_failures(report);
  EXPECT_TRUE(contains(report.failures[1].message(), "its run path 'ftcore-plugins/lib' is relative to the working directory"))
      << all_failures(report);
}

TEST(PluginLoader, ModelDirPluginThatIsAFifoIsReportedNotWaitedFor) {
  TempDir dir;
  const fs::path plugins = dir.path() / "model" / "ftcore-plugins";
  fs::create_directories(plugins);
  ASSERT_EQ(::mkfifo((plugins / "pipe.so").c_str(), 0600), 0);
  PluginReport report = load_model_dir(dir.path() / "model", nullptr, true);
  EXPECT_TRUE(report.loaded.empty());
  ASSERT_EQ(report.failures.size(), 1u) << all_failures(report);
  EXPECT_TRUE(contains(report.failures[0].message(), "not a regular file")) << all_failures(report);
}
