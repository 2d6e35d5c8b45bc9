// ftcore plugins [list | info NAME | trust FILE]
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "errors.hpp"
#include "ftcore/version.hpp"
#include "plugins/trust.hpp"
#include "runtime.hpp"
#include "session.hpp"
#include "util/text.hpp"

namespace ftcore::cli {

namespace {

const char* kUsage = "ftcore plugins [list | info NAME | trust FILE] [--plugin PATH] [--model DIR]";

void list_plugins(const Session& session) {
  std::cout << "ftcore " << FTCORE_VERSION << " (ABI " << FTCORE_ABI_VERSION << ", libtorch " << torch_version()
            << ")\n\n";
  std::cout << std::left << std::setw(13) << "kind" << std::setw(14) << "name" << std::setw(10) << "version"
            << std::setw(18) << "plugin" << "description\n";
  for (const auto& plugin : session.plugins.loaded)
    for (const auto& [kind, name] : plugin.components)
      std::cout << std::left << std::setw(13) << component_kind_name(kind) << std::setw(14) << name
                << std::setw(10) << plugin.version << std::setw(18) << plugin.name
                << session.registry.description(kind, name) << "\n";
  std::cout << "\nplugin files:\n";
  for (const auto& plugin : session.plugins.loaded)
    std::cout << "  " << std::left << std::setw(18) << plugin.name << plugin.path.string() << " ("
              << plugin_source_name(plugin.source) << ")\n";
  if (!session.plugins.failures.empty()) {
    std::cout << "\nnot loaded:\n";
    for (const auto& failure : session.plugins.failures) std::cout << "  " << failure.message() << "\n";
  }
}

int show_plugin(const Session& session, const std::string& wanted) {
  for (const auto& plugin : session.plugins.loaded) {
    bool match = plugin.name == wanted;
    for (const auto& component : plugin.components) match = match || component.second == wanted;
    if (!match) continue;
    std::cout << "name:        " << plugin.name << "\nversion:     " << plugin.version
              << "\ndescription: " << plugin.description << "\npath:        " << plugin.path.string()
              << "\nfound via:   " << plugin_source_name(plugin.source) << "\nsdk:         " << plugin.sdk_version
              << "\nlibtorch:    " << plugin.torch_version << "\ncomponents:\n";
    for (const auto& [kind, name] : plugin.components)
      std::cout << "  " << component_kind_name(kind) << " " << name << ": "
                << session.registry.description(kind, name) << "\n";
    return kExitOk;
  }
  std::vector<std::string> names;
  for (const auto& plugin : session.plugins.loaded) {
    names.push_back(plugin.name);
    for (const auto& component : plugin.components) names.push_back(component.second);
  }
  throw UsageError("no plugin or component named '" + wanted + "'" + text::did_you_mean(wanted, names) +
                   "; `ftcore plugins list` shows what is installed");
}

}  // namespace

int plugins_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kPlugins, "plugins", kUsage, args)) return kExitOk;
  const auto& words = session.command_line.positional;
  std::string action = words.empty() ? "list" : words[0];
  auto require_one = [&](const char* what) {
    if (words.size() != 2) throw UsageError(std::string("usage: ftcore plugins ") + action + " " + what);
    return words[1];
  };
  if (action == "list" && words.size() <= 1) {
    list_plugins(session);
    return kExitOk;
  }
  if (action == "info") return show_plugin(session, require_one("NAME"));
  if (action == "trust") {
    std::string file = require_one("FILE");
    TrustStore trust(TrustStore::default_path());
    std::string hash = trust.trust(file);
    std::cout << "trusted " << file << "\n  sha256 " << hash << "\n  recorded in " << trust.file().string()
              << "\n";
    return kExitOk;
  }
  throw UsageError("unknown plugins action '" + action + "'; usage: " + kUsage);
}

}  // namespace ftcore::cli
