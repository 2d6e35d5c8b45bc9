#include "session.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

#include "log.hpp"
#include "plugins/trust.hpp"
#include "runtime.hpp"

namespace ftcore {

PluginSearch plugin_search(const config::Config& config, const TrustStore* trust) {
  PluginSearch search;
  search.builtin_dir = builtin_plugin_dir();
  search.env_paths = plugin_path_from_env();
  for (const auto& path : config.list("plugin")) search.flag_paths.emplace_back(path);
  if (auto model = config.text("model")) search.model_dir = *model;
  search.trust_model_plugins = config.flag("trust-model-plugins");
  search.trust = trust;
  return search;
}

bool open_session(Session& session, unsigned command, const std::string& command_name,
                  const std::string& usage, const std::vector<std::string>& args) {
  session.command_line = config::parse_command_line(session.config, command, command_name, args);
  if (session.command_line.help) {
    std::cout << config::help_text(command, usage);
    return false;
  }
  if (auto file = session.config.text("config")) config::load_yaml_file(session.config, *file, command);
  config::apply_defaults(session.config, command);
  setup_logging(*session.config.text("log-level"), *session.config.text("log-format"));

  if (command & (config::kRun | config::kValidate | config::kGenerate | config::kChat | config::kInitModel | config::kMerge |
                 config::kBench)) {
    configure_allocator();
    int threads = configure_threads(static_cast<int>(session.config.integer("threads").value_or(0)));
    spdlog::debug("libtorch {} with {} threads", torch_version(), threads);
  }
  TrustStore trust(TrustStore::default_path());
  session.plugins = load_plugins(plugin_search(session.config, &trust), session.registry);
  return true;
}

}  // namespace ftcore
