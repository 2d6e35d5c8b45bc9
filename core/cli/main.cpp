// ftcore: fine-tune Hugging Face-format language models. `ftcore --help` lists the commands.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "dist/failure.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "ftcore/version.hpp"
#include "util/text.hpp"

namespace {

struct CommandEntry {
  int (*run)(const ftcore::cli::Args&);
  const char* summary;
};

const std::map<std::string, CommandEntry>& commands() {
  static const std::map<std::string, CommandEntry> table{
      {"run", {ftcore::cli::run_command, "Fine-tune a model (LoRA, full, ...): checkpoints, logs, adapter"}},
      {"validate", {ftcore::cli::validate_command, "Check datasets record by record, with totals per format"}},
      {"plugins", {ftcore::cli::plugins_command, "List plugins, show one, or trust a model-directory plugin"}},
      {"tokenize", {ftcore::cli::tokenize_command, "Text to token ids and back, with the model's tokenizer.json"}},
      {"template", {ftcore::cli::template_command, "Render a conversation with the model's chat template"}},
      {"generate", {ftcore::cli::generate_command, "Generate text from a model (greedy or sampled, streamed)"}},
      {"chat", {ftcore::cli::chat_command, "Talk with a model interactively"}},
      {"init-model", {ftcore::cli::init_model_command, "Write a small random model of any installed family"}},
      {"merge", {ftcore::cli::merge_command, "Fold an adapter into its base model's weights"}},
      {"bench", {ftcore::cli::bench_command, "Time a training workload on a preset model: tokens/s, memory, MFU"}},
  };
  return table;
}

void print_usage(std::ostream& out) {
  out << "ftcore " << FTCORE_VERSION << ": fine-tune Hugging Face-format language models\n\n"
      << "Usage: ftcore COMMAND [OPTIONS]\n\nCommands:\n";
  for (const auto& [name, entry] : commands()) out << "  " << name << std::string(12 - name.size(), ' ') << entry.summary << "\n";
  out << "\n`ftcore COMMAND --help` lists a command's options. Exit codes: 0 ok, 1 failure while running, "
         "2 bad usage or input.\n";
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return ftcore::kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return ftcore::kExitOk;
  }
  if (name == "--version" || name == "version") {
    std::cout << "ftcore " << FTCORE_VERSION << "\n";
    return ftcore::kExitOk;
  }
  auto it = commands().find(name);
  if (it == commands().end()) {
    std::vector<std::string> names;
    for (const auto& [known, entry] : commands()) names.push_back(known);
    throw ftcore::UsageError("unknown command '" + name + "'" + ftcore::text::did_you_mean(name, names) +
                             "; commands: " + ftcore::text::join(names, ", "));
  }
  return it->second.run(ftcore::cli::Args(argv + 2, argv + argc));
}

/// Errors can happen before a command parses its options, so the log format is read up front.
void early_logging(int argc, char** argv) {
  std::string format = "text";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    for (const char* spelling : {"--log-format", "--log_format"}) {
      if (arg == spelling && i + 1 < argc) format = argv[i + 1];
      if (ftcore::text::starts_with(arg, std::string(spelling) + "=")) format = arg.substr(arg.find('=') + 1);
    }
  }
  ftcore::setup_logging("info", format == "json" ? "json" : "text");
}

}  // namespace

int main(int argc, char** argv) {
  early_logging(argc, argv);
  try {
    return dispatch(argc, argv);
  } catch (const ftcore::UsageError& e) {
    spdlog::error("{}", e.what());
    return ftcore::kExitUsage;
  } catch (const ftcore::dist::Failure& e) {
    // A lost rank: the communicator's threads may wait on it forever, so no destructors run.
    spdlog::error("{}", e.what());
    std::fflush(nullptr);
    std::_Exit(ftcore::kExitFailure);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return ftcore::kExitFailure;
  }
}
