#pragma once
// Finds plugin libraries, checks them, and registers their components. A plugin that fails
// is reported with its path and the reason; the others keep loading.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ftcore/registry.hpp"

namespace ftcore {

class TrustStore;

enum class PluginSource { builtin, env, flag, model_dir };
const char* plugin_source_name(PluginSource source);

/// Where to look, in the order searched.
struct PluginSearch {
  std::optional<std::filesystem::path> builtin_dir;  ///< <prefix>/lib/ftcore/plugins
  std::vector<std::filesystem::path> env_paths;      ///< FTCORE_PLUGIN_PATH entries
  std::vector<std::filesystem::path> flag_paths;     ///< --plugin (a file or a directory)
  std::optional<std::filesystem::path> model_dir;    ///< scans <model_dir>/ftcore-plugins/
  bool trust_model_plugins = false;                  ///< --trust-model-plugins
  const TrustStore* trust = nullptr;                 ///< user's sha256 trust list
};

struct LoadedPlugin {
  std::string name, version, description, sdk_version, torch_version;
  std::filesystem::path path;
  PluginSource source = PluginSource::builtin;
  std::vector<std::pair<ComponentKind, std::string>> components;
};

struct PluginFailure {
  std::filesystem::path path;
  std::string reason;
  /// "path: reason", the one line shown to the user.
  std::string message() const { return path.string() + ": " + reason; }
};

struct PluginReport {
  std::vector<LoadedPlugin> loaded;
  std::vector<PluginFailure> failures;
};

/// The built-in plugin directory beside the running executable (../lib/ftcore/plugins).
std::filesystem::path builtin_plugin_dir();
/// Splits FTCORE_PLUGIN_PATH (':'-separated) when set.
std::vector<std::filesystem::path> plugin_path_from_env();

/// Loads every plugin found, in search order, into the registry. Failures are logged as
/// warnings and returned; libraries stay loaded for the life of the process.
PluginReport load_plugins(const PluginSearch& search, Registry& registry);

}  // namespace ftcore
