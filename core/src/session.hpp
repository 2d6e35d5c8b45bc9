#pragma once
// What every command starts with: the resolved configuration, logging, threads and plugins.
#include <string>
#include <vector>

#include "config/cli_parser.hpp"
#include "config/options.hpp"
#include "ftcore/registry.hpp"
#include "plugins/loader.hpp"

namespace ftcore {

struct Session {
  config::Config config;
  config::CommandLine command_line;
  Registry registry;
  PluginReport plugins;
};

/// Parses the command line, reads --config, applies defaults, sets up logging and threads,
/// and loads plugins. Returns false when --help was asked for (and printed).
bool open_session(Session& session, unsigned command, const std::string& command_name,
                  const std::string& usage, const std::vector<std::string>& args);

/// Plugin search for a resolved configuration (built-in dir, FTCORE_PLUGIN_PATH, --plugin,
/// and the model directory's ftcore-plugins/).
PluginSearch plugin_search(const config::Config& config, const TrustStore* trust);

}  // namespace ftcore
