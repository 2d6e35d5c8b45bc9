// Command-line parsing: spellings, boolean forms, repeats, unknown options.
#include <gtest/gtest.h>

#include "config/cli_parser.hpp"
#include "errors.hpp"

using namespace ftcore;
using namespace ftcore::config;

namespace {

Config parse(const std::vector<std::string>& args, unsigned command = kRun, CommandLine* out = nullptr) {
  Config config;
  CommandLine line = parse_command_line(config, command, command == kRun ? "run" : "validate", args);
  if (out) *out = line;
  return config;
}

std::string error_of(const std::vector<std::string>& args, unsigned command = kRun) {
  try {
    parse(args, command);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no UsageError>";
}

}  // namespace

TEST(CommandLine, CommandsGeneratedForOtherToolsRunUnchanged) {
  Config c = parse({"--model_name_or_path", "m", "--dataset", "d.jsonl", "--lora_rank", "8", "--num_train_epochs",
                    "2", "--per_device_train_batch_size", "4", "--learning_rate", "1e-4", "--output_dir", "o",
                    "--train_type", "lora", "--torch_dtype", "bfloat16", "--max_length", "512",
                    "--gradient_checkpointing", "true", "--dataset-format", "alpaca"});
  EXPECT_EQ(*c.text("model"), "m");
  EXPECT_EQ(c.list("data"), std::vector<std::string>{"d.jsonl"});
  EXPECT_EQ(*c.integer("lora-r"), 8);
  EXPECT_DOUBLE_EQ(*c.number("epochs"), 2);
  EXPECT_EQ(*c.integer("batch-size"), 4);
  EXPECT_DOUBLE_EQ(*c.number("learning-rate"), 1e-4);
  EXPECT_EQ(*c.text("output"), "o");
  EXPECT_EQ(*c.text("method"), "lora");
  EXPECT_EQ(*c.text("precision"), "bf16");
  EXPECT_EQ(*c.integer("max-length"), 512);
  EXPECT_TRUE(c.flag("gradient-checkpointing"));
  EXPECT_EQ(*c.text("format"), "alpaca");
  EXPECT_EQ(c.find("lora-r")->layer, Layer::cli);
  EXPECT_EQ(c.find("lora-r")->origin, "--lora_rank");
}

TEST(CommandLine, BooleanForms) {
  EXPECT_TRUE(parse({"--packing"}).flag("packing"));
  EXPECT_FALSE(parse({"--packing", "false"}).flag("packing", true));
  EXPECT_FALSE(parse({"--packing=no"}).flag("packing", true));
  EXPECT_EQ(*parse({"--bf16"}).text("precision"), "bf16");
  EXPECT_EQ(*parse({"--load-in-4bit"}).text("method"), "qlora");
  EXPECT_EQ(*parse({"--use_lora", "false"}).text("method"), "full");
}

TEST(CommandLine, ListsTakeCommasRepeatsAndSeveralWords) {
  EXPECT_EQ(parse({"--data", "a.jsonl,b.json"}, kValidate).list("data"), (std::vector<std::string>{"a.jsonl", "b.json"}));
  EXPECT_EQ(parse({"--data", "a.jsonl", "--data", "b.json"}, kValidate).list("data"),
            (std::vector<std::string>{"a.jsonl", "b.json"}));
  EXPECT_EQ(parse({"--data", "a.jsonl", "b.json", "--format", "qa"}, kValidate).list("data"),
            (std::vector<std::string>{"a.jsonl", "b.json"}));
}

TEST(CommandLine, PositionalWordsAreReturned) {
  CommandLine line;
  Config config;
  line = parse_command_line(config, kPlugins, "plugins", {"info", "alpaca", "--log-level", "debug"});
  EXPECT_EQ(line.positional, (std::vector<std::string>{"info", "alpaca"}));
  EXPECT_EQ(*config.text("log-level"), "debug");
}

TEST(CommandLine, Errors) {
  EXPECT_EQ(error_of({"--lerning-rate", "1"}),
            "unknown option '--lerning-rate' for `ftcore run` (did you mean '--learning-rate'?); see `ftcore run --help`");
  EXPECT_EQ(error_of({"--lora-r", "8"}, kValidate),
            "--lora-r is not an option of `ftcore validate`; see `ftcore validate --help`");
  EXPECT_EQ(error_of({"--lr", "1e-4", "--learning_rate", "2e-4"}),
            "--learning_rate and --lr are the same option (learning-rate); give it once");
  EXPECT_EQ(error_of({"--epochs", "many"}), "--epochs: expected a number, got 'many'");
  EXPECT_EQ(error_of({"--method", "lora", "--load_in_4bit"}),
            "--load_in_4bit means --method qlora, but --method lora was also given; keep one");
  EXPECT_EQ(error_of({"--lora"}), "unknown option '--lora' for `ftcore run` (did you mean '--lora-r'?); see `ftcore run --help`");
}

TEST(CommandLine, HelpListsEveryOptionAndItsAliases) {
  std::string help = help_text(kRun, "ftcore run ...");
  for (const auto& spec : option_table()) {
    if (!(spec.commands & kRun)) continue;
    EXPECT_NE(help.find("--" + spec.key), std::string::npos) << spec.key;
    for (const auto& alias : spec.aliases) EXPECT_NE(help.find("--" + alias), std::string::npos) << alias;
  }
  CommandLine line;
  Config config;
  line = parse_command_line(config, kRun, "run", {"--help"});
  EXPECT_TRUE(line.help);
}

// Issue 28: step counts of 0 divided by zero in the trainer, --threads 100000 hung, --nproc had no
// bound and --save-total-limit 0 or -1 silently kept everything. Each is refused where it is given.
TEST(CommandLine, NumbersOutsideTheirBoundsAreRefusedWithTheRule) {
  EXPECT_EQ(error_of({"--save-steps", "0"}), "--save-steps 0: must be at least 1; leave it out to save at each evaluation");
  EXPECT_EQ(error_of({"--eval-steps", "0"}), "--eval-steps 0: must be at least 1; leave it out to evaluate as the mode says");
  EXPECT_EQ(error_of({"--logging_steps", "0"}), "--logging_steps 0: must be at least 1");
  EXPECT_EQ(error_of({"--save-total-limit", "-1"}),
            "--save-total-limit -1: must be at least 1; best/ and last/ are kept besides; give a large number to keep more");
  EXPECT_EQ(error_of({"--save-total-limit", "0"}).rfind("--save-total-limit 0: must be at least 1", 0), 0u);
  EXPECT_EQ(error_of({"--nproc", "0"}), "--nproc 0: must be at least 1");
  EXPECT_EQ(error_of({"--threads", "0"}), "--threads 0: must be 1-65536; leave it out to use every core");
  EXPECT_EQ(error_of({"--warmup-ratio", "1.5"}), "--warmup-ratio 1.5: must be 0-1");
  EXPECT_EQ(error_of({"--batch-size", "0"}), "--batch-size 0: must be at least 1");
  // Inside the bounds, and the words a row allows besides numbers, pass.
  EXPECT_EQ(*parse({"--save-steps", "1", "--nproc", "2"}).integer("save-steps"), 1);
  EXPECT_EQ(*parse({"--lora-r", "auto"}).text("lora-r"), "auto");
}

TEST(CommandLine, BoundsApplyToYamlValuesToo) {
  Config config;
  try {
    load_yaml_text(config, "training:\n  save_steps: 0\n", "cfg.yaml", kRun);
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cfg.yaml:2", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find(" 0: must be at least 1"), std::string::npos) << e.what();
  }
}
