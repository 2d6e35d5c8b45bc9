#pragma once
// The ftcore subcommands. Each takes the words after its name and returns the exit code;
// errors are thrown as UsageError (exit 2) or RunError (exit 1) and reported by main().
#include <string>
#include <vector>

namespace ftcore::cli {

using Args = std::vector<std::string>;

int run_command(const Args& args);
int validate_command(const Args& args);
int plugins_command(const Args& args);
int tokenize_command(const Args& args);
int template_command(const Args& args);
int generate_command(const Args& args);
int chat_command(const Args& args);
int init_model_command(const Args& args);
int merge_command(const Args& args);
int bench_command(const Args& args);

}  // namespace ftcore::cli
