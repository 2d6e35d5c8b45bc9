#pragma once
// Command-line parsing for one subcommand, driven by the option table (Boost.Program_options).
#include <string>
#include <vector>

#include "config/options.hpp"

namespace ftcore::config {

struct CommandLine {
  std::vector<std::string> positional;  ///< words that are not options, in order
  bool help = false;                    ///< -h / --help was given
};

/// Parses `args` (without the program and command names) into `config` at Layer::cli.
/// Throws UsageError for an unknown option (with a did-you-mean), a bad value, or the same
/// option given under two spellings.
CommandLine parse_command_line(Config& config, unsigned command, const std::string& command_name,
                               const std::vector<std::string>& args);

/// `args` without the options of `keys` (valued options, in any spelling, "--key value" or
/// "--key=value"): what a launcher passes on to the processes it starts with values of its own.
std::vector<std::string> remove_options(const std::vector<std::string>& args, const std::vector<std::string>& keys);

/// The help text for a command: usage line, then every option grouped, with its aliases.
std::string help_text(unsigned command, const std::string& usage);

/// docs/cli-reference.md, generated from the option table (a test keeps the file equal to it).
std::string reference_markdown();

}  // namespace ftcore::config
