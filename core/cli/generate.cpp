// ftcore generate and ftcore chat: text from a model directory, streamed as it is generated.
#include <unistd.h>

#include <chrono>
#include <iostream>

#include <spdlog/spdlog.h>

#include "chat/conversation.hpp"
#include "cli_inputs.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "generate/generator.hpp"
#include "model/model_dir.hpp"
#include "session.hpp"
#include "template/jinja.hpp"

namespace ftcore::cli {

namespace {

generate::Sampling sampling_options(const config::Config& config, const model::Model& model) {
  generate::Sampling s;
  s.max_new_tokens = *config.integer("max-new-tokens");
  s.temperature = *config.number("temperature");
  s.top_k = *config.integer("top-k");
  s.top_p = *config.number("top-p");
  s.seed = static_cast<std::uint64_t>(*config.integer("seed"));
  s.stop_strings = config.list("stop");
  s.eos_ids = model::eos_ids(model.dir, model.config, *model.tokenizer);
  try {
    generate::check(s);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return s;
}

Message message(Role role, const std::string& content) {
  Message m;
  m.role = role;
  m.content = content;
  return m;
}

/// The prompt's token ids: a conversation rendered with the chat template and a generation
/// prompt, tokenized without the post-processor's specials (the template writes them), as
/// transformers' apply_chat_template(tokenize=True) does.
std::vector<std::int32_t> conversation_ids(const model::Model& model, const Sample& sample) {
  std::string key = chat::reasoning_field(model.chat->source());
  std::string text;
  try {
    text = model.chat->render(chat::to_template_messages(sample.messages, key), chat::to_template_tools(sample), true).text;
  } catch (const tmpl::TemplateError& e) {
    throw UsageError(e.what());
  }
  return model.tokenizer->encode_ids(text, false);
}

void print_stats(const generate::Result& result, double seconds) {
  spdlog::info("{} tokens in {:.2f} s ({:.1f} tokens/s), stopped: {}", result.ids.size(), seconds,
               seconds > 0 ? static_cast<double>(result.ids.size()) / seconds : 0.0, result.stop_reason);
}

generate::Result stream(model::Model& model, const std::vector<std::int32_t>& ids, const generate::Sampling& sampling,
                        nn::KVCache& cache) {
  auto start = std::chrono::steady_clock::now();
  auto result = generate::generate(*model.network, *model.tokenizer, ids, sampling, cache,
                                   [](const std::string& piece) { std::cout << piece << std::flush; });
  std::cout << "\n";
  print_stats(result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

}  // namespace

int generate_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kGenerate, "generate",
                    "ftcore generate --model DIR (--prompt TEXT | --messages FILE) [--raw] [--max-new-tokens N]", args))
    return kExitOk;
  const auto& config = session.config;
  auto prompt = config.text("prompt");
  if (prompt.has_value() == config.text("messages").has_value())
    throw UsageError("give exactly one of --prompt TEXT and --messages FILE");
  model::Model model = load_session_model(session);
  auto adapter = load_session_adapter(session, model);
  generate::Sampling sampling = sampling_options(config, model);

  std::vector<std::int32_t> ids;
  if (prompt && config.flag("raw")) {
    ids = model.tokenizer->encode_ids(*prompt, true);
  } else {
    Sample sample;
    if (prompt) {
      if (auto system = config.text("system")) sample.messages.push_back(message(Role::system, *system));
      sample.messages.push_back(message(Role::user, *prompt));
    } else {
      sample = load_conversation(session);
      if (sample.kind != Sample::Kind::conversation)
        throw UsageError("--messages: the record is " + std::string(sample_kind_name(sample.kind)) +
                         ", not a conversation; use --prompt TEXT --raw for plain text");
    }
    if (auto tools = config.text("tools")) sample.tools = read_json_file(*tools, "tools");
    ids = conversation_ids(model, sample);
  }
  nn::KVCache cache;
  stream(model, ids, sampling, cache);
  return kExitOk;
}

int chat_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kChat, "chat", "ftcore chat --model DIR [--system TEXT]", args)) return kExitOk;
  const auto& config = session.config;
  model::Model model = load_session_model(session);
  auto adapter = load_session_adapter(session, model);
  generate::Sampling sampling = sampling_options(config, model);
  const bool terminal = ::isatty(STDIN_FILENO);

  Sample conversation;
  auto reset = [&] {
    conversation.messages.clear();
    if (auto system = config.text("system")) conversation.messages.push_back(message(Role::system, *system));
  };
  reset();
  if (auto tools = config.text("tools")) conversation.tools = read_json_file(*tools, "tools");
  nn::KVCache cache;
  std::vector<std::int32_t> cached;
  if (terminal) std::cout << "ftcore chat with " << model.dir.string() << " (/reset starts over, /exit or Ctrl-D ends)\n";
  std::string line;
  while (true) {
    if (terminal) std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      reset();
      cache = nn::KVCache();
      cached.clear();
      continue;
    }
    if (line.empty()) continue;
    conversation.messages.push_back(message(Role::user, line));
    auto ids = conversation_ids(model, conversation);
    ++sampling.seed;  // each turn draws afresh
    // Keys and values of the part of the conversation the model has already seen are reused.
    generate::truncate(cache, static_cast<std::int64_t>(generate::common_prefix(cached, ids)));
    auto result = stream(model, ids, sampling, cache);
    cached = result.cached;
    conversation.messages.push_back(message(Role::assistant, result.text));
  }
  return kExitOk;
}

}  // namespace ftcore::cli
