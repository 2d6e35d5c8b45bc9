// ftcore bench: a fixed training workload on a preset random model (made once by `ftcore
// init-model` in its own process, kept in the work directory), timed step by step through the
// same trainer `ftcore run` uses, with the machine's matmul peak measured alongside.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "bench/measure.hpp"
#include "commands.hpp"
#include "device/device.hpp"
#include "dist/launcher.hpp"
#include "errors.hpp"
#include "ftcore/version.hpp"
#include "model/model_dir.hpp"
#include "runtime.hpp"
#include "session.hpp"
#include "train/trainer.hpp"
#include "training_setup.hpp"
#include "util/text.hpp"

extern char** environ;

namespace ftcore::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// What the command was asked to run.
struct Workload {
  std::string family, preset, method;
  std::int64_t seq_len = 0, steps = 0, warmup = 0;
  fs::path workdir;
};

/// The workload's own defaults, above the method's (a flag or YAML value still wins): one micro-batch
/// per step, and the adapter of the comparison in bench/ (PEFT's defaults but the rank: r 16, alpha
/// 32, no dropout), at a constant learning rate without warm-up or weight decay.
void apply_workload_defaults(config::Config& config) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"grad-accum", "1"}, {"lora-r", "16"}, {"lora-alpha", "32"}, {"lora-dropout", "0"}, {"weight-decay", "0"},
           {"lr-scheduler", "constant"}, {"warmup-steps", "0"}, {"warmup-ratio", "0"}})
    config.set_text(key, value, config::Layer::mode, "ftcore bench's workload");
}

fs::path default_workdir() {
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) return fs::path(cache) / "ftcore" / "bench";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "ftcore" / "bench";
  return fs::temp_directory_path() / "ftcore-bench";
}

Workload read_workload(const config::Config& config) {
  Workload w;
  w.family = config.text("family").value_or("llama");
  w.preset = *config.text("preset");
  w.method = *config.text("method");
  w.seq_len = *config.integer("seq-len");
  w.steps = *config.integer("steps");
  w.warmup = *config.integer("warmup");
  w.workdir = config.text("workdir") ? fs::path(*config.text("workdir")) : default_workdir();
  if (w.seq_len < 2) throw UsageError("--seq-len " + std::to_string(w.seq_len) + ": a sequence needs at least 2 tokens");
  if (w.steps < 1) throw UsageError("--steps " + std::to_string(w.steps) + ": measure at least 1 step");
  if (w.warmup < 0) throw UsageError("--warmup " + std::to_string(w.warmup) + ": must be 0 or more");
  return w;
}

fs::path model_path(const Workload& w) { return w.workdir / (w.family + "-" + w.preset); }

/// `ftcore init-model` in a child process (its memory is not this process's peak), when the
/// work directory does not hold the preset's model yet.
fs::path ensure_model(const Workload& w) {
  const fs::path dir = model_path(w);
  if (fs::exists(dir / "config.json") && fs::exists(dir / "model.safetensors")) return dir;
  if (fs::exists(dir) && !fs::is_empty(dir))  // not ours to replace
    throw UsageError(dir.string() + " exists but holds no bench model (config.json and model.safetensors); move it "
                     "away or pass another --workdir");
  fs::create_directories(w.workdir);
  spdlog::info("making the {} {} model in {} (once; later runs reuse it)", w.family, w.preset, dir.string());
  std::vector<std::string> words{fs::read_symlink("/proc/self/exe").string(), "init-model", "--family", w.family, "--preset", w.preset,
                                 "--output", dir.string(), "--weights-dtype", "bf16", "--seed", "0",
                                 "--log-level", "warn"};
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
    throw RunError("cannot start " + words[0] + " init-model to make the bench model");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw RunError("`" + text::join(words, " ") + "` failed (status " + std::to_string(status) + "); see its message above");
  return dir;
}

/// `rows` sequences of random token ids (seeded), as examples whose every token trains, and the
/// JSON file other programs read them from (bench/reference.py) when `file` is not empty.
std::vector<train::Example> make_examples(std::int64_t steps, std::int64_t batch, std::int64_t length, std::int64_t vocab,
                                          std::uint64_t seed, const fs::path& file) {
  const std::int64_t rows = steps * batch;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto ids = torch::randint(vocab, {rows, length}, generator, torch::kInt64).to(torch::kInt32).contiguous();
  std::vector<train::Example> examples(static_cast<std::size_t>(rows));
  json out{{"seq_len", length}, {"batch_size", batch}, {"rows", json::array()}};
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto* data = ids[r].data_ptr<std::int32_t>();
    auto& example = examples[static_cast<std::size_t>(r)];
    example.ids.assign(data, data + length);
    example.trained.assign(static_cast<std::size_t>(length), 1);
    example.sample = static_cast<std::size_t>(r);
    out["rows"].push_back(example.ids);
  }
  if (!file.empty()) std::ofstream(file) << out.dump() << "\n";
  return examples;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

/// The train/loss values of a run's metrics.jsonl, in step order.
json logged_losses(const fs::path& metrics) {
  json losses = json::array();
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const json entry = json::parse(line);
    if (entry.contains("train/loss")) losses.push_back(entry["train/loss"]);
  }
  return losses;
}

std::string mib(std::int64_t bytes) { return text::format_number("%.1f", static_cast<double>(bytes) / (1 << 20)) + " MiB"; }
std::string gflops(double flops) { return text::format_number("%.1f", flops / 1e9) + " GFLOP/s"; }

void print_report(const json& r) {
  const auto& p = r["phases"];
  auto s = [](double seconds) { return text::format_number("%.3f", seconds); };
  std::cout << "ftcore bench: " << r["model"].get<std::string>() << ", " << r["method_summary"].get<std::string>() << "\n"
            << "  workload     " << r["precision"].get<std::string>() << ", batch " << r["batch_size"].get<std::int64_t>()
            << " x " << r["seq_len"].get<std::int64_t>() << " tokens, " << r["steps"].get<std::int64_t>() << " steps after "
            << r["warmup"].get<std::int64_t>() << " warm-up\n"
            << "  machine      " << r["machine"].get<std::string>() << "; libtorch " << r["torch"].get<std::string>()
            << (r["device"] != "cpu" ? "; " + r["device"].get<std::string>() + ": " + r["device_name"].get<std::string>() : "")
            << "\n"
            << "  tokens/s     " << text::format_number("%.1f", r["tokens_per_second"].get<double>()) << "\n"
            << "  step         " << s(r["step_seconds"]) << " s (median; " << s(r["step_seconds_min"]) << "-"
            << s(r["step_seconds_max"]) << ") = data " << s(p["data"]) << " + forward " << s(p["forward"])
            << " + backward " << s(p["backward"]) << " + optimizer " << s(p["optimizer"]) << "\n"
            << "  memory       peak RSS " << mib(r["peak_rss_bytes"])
            << (r["peak_device_bytes"].is_number() ? ", peak on the GPU " + mib(r["peak_device_bytes"]) : "") << "; weights " << mib(r["weights_bytes"]) << ", grads "
            << mib(r["grads_bytes"]) << ", optimizer state " << mib(r["optimizer_bytes"]) << "\n"
            << "  load         " << s(r["load_seconds"]) << " s (reading the files: " << s(r["read_seconds"]) << " s, x"
            << text::format_number("%.2f", r["load_seconds"].get<double>() / std::max(1e-9, r["read_seconds"].get<double>()))
            << ")\n"
            << "  compute      " << gflops(r["flops_per_second"]) << " (" << text::format_number("%.3g", r["flops_per_step"].get<double>())
            << " FLOP per step)";
  if (r["gemm_peak_bf16"].is_number())
    std::cout << "; matmul peak bf16 " << gflops(r["gemm_peak_bf16"]) << ", fp32 " << gflops(r["gemm_peak_fp32"]) << "; MFU "
              << text::format_number("%.1f", 100 * r["mfu"].get<double>()) << "% of the " << r["mfu_reference"].get<std::string>()
              << " peak";
  std::cout << "\n";
}

/// The report of one `ftcore bench` run in processes of its own (a launch of `procs` workers with
/// `threads` threads each); RunError when it fails.
json bench_in_processes(const config::Config& config, const Args& args, const Workload& w, int procs, int threads,
                        const std::string& name) {
  const fs::path report = w.workdir / ("scaling-" + std::to_string(getpid()) + "-" + name + ".json");
  auto launch = worker_launch(config, "bench", args, procs, {"nproc", "report", "threads", "profile"}, threads);
  launch.command.insert(launch.command.end(), {"--report", report.string()});
  spdlog::info("scaling: {} process(es) x {} thread(s)", procs, threads);
  if (const int code = dist::launch_local(launch); code != 0)
    throw RunError("the " + std::to_string(procs) + "-process bench failed (exit " + std::to_string(code) + "; see above)");
  json out = model::read_json_file(report);
  fs::remove(report);
  return out;
}

/// ftcore bench --nproc N: the workload in N processes with a share of the cores each, against one
/// process with every core (the speed-up this machine gets) and one process with one share (what
/// each worker does alone: N times it is perfect scaling). Each runs in processes of its own.
int scaling_bench(const config::Config& config, const Args& args, const Workload& w, int nproc, int threads) {
  ensure_model(w);  // once, before the workers look for it
  const int share = std::max(1, threads / nproc);
  const json whole = bench_in_processes(config, args, w, 1, threads, "whole");
  const json alone = share == threads ? whole : bench_in_processes(config, args, w, 1, share, "share");
  const json ranks = bench_in_processes(config, args, w, nproc, share, "ranks");
  const double speedup = ranks["tokens_per_second"].get<double>() / whole["tokens_per_second"].get<double>();
  const double efficiency = ranks["tokens_per_second"].get<double>() / (nproc * alone["tokens_per_second"].get<double>());
  auto line = [](const json& r, int procs, int t) {
    return std::to_string(procs) + " process" + (procs == 1 ? "" : "es") + " x " + std::to_string(t) + " thread" +
           (t == 1 ? "" : "s") + ": " + text::format_number("%.1f", r["tokens_per_second"].get<double>()) + " tokens/s (step " +
           text::format_number("%.3f", r["step_seconds"].get<double>()) + " s, batch " + std::to_string(r["batch_size"].get<std::int64_t>()) +
           ")";
  };
  std::cout << "ftcore bench --nproc " << nproc << ": " << ranks["model"].get<std::string>() << ", "
            << ranks["method_summary"].get<std::string>() << " (" << ranks["backend"].get<std::string>() << ")\n"
            << "  " << line(ranks, nproc, share) << "\n"
            << "  " << line(whole, 1, threads) << "\n";
  if (share != threads) std::cout << "  " << line(alone, 1, share) << "\n";
  std::cout << "  speed-up over 1 process with every core: x" << text::format_number("%.2f", speedup) << "\n"
            << "  scaling efficiency: " << text::format_number("%.1f", 100 * efficiency) << "% (" << nproc
            << " processes against " << nproc << " x one process with the same " << share << " thread"
            << (share == 1 ? "" : "s") << ")\n";
  if (auto file = config.text("report")) {
    std::ofstream out(*file);
    out << json{{"implementation", "ftcore"},
                {"nproc", nproc},
                {"threads_per_process", share},
                {"distributed", ranks},
                {"one_process_all_cores", whole},
                {"one_process_one_share", alone},
                {"speedup", speedup},
                {"scaling_efficiency", efficiency}}
               .dump(2)
        << "\n";
    if (!out) throw RunError(*file + ": cannot write the report");
  }
  return kExitOk;
}

}  // namespace

int bench_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kBench, "bench", "ftcore bench [--preset 100m] [--method lora] [OPTIONS]", args))
    return kExitOk;
  config::Config& config = session.config;
  if (!session.command_line.positional.empty())
    throw UsageError("unexpected argument '" + session.command_line.positional[0] + "'");
  const Workload w = read_workload(config);
  const dist::World world = dist::read_world();
  const torch::Device device = training_device(config, world.local_rank);  // before the model is made
  const TrainingMethod& method = choose_method(session);
  const int threads = at::get_num_threads();
  const auto nproc = *config.integer("nproc");
  if (nproc > 1 && !world.distributed()) {
    if (device.is_cuda()) training_device(config, static_cast<int>(nproc) - 1);  // a GPU for each
    return scaling_bench(config, args, w, static_cast<int>(nproc), threads);
  }
  if (nproc > 1) launch_workers(config, "bench", args, world);  // under a launcher: refused (UsageError)
  std::unique_ptr<dist::Group> group = join_run(config, world, device);

  const fs::path model_dir = world.writes() ? ensure_model(w) : model_path(w);
  if (group) group->barrier();  // rank 0 has made the model
  json model_config = model::read_config(model_dir);
  const ModelHandler& handler = model::choose_handler(session.registry, model_config, w.family);
  const FamilyFacts facts = handler.facts(model_config);
  apply_workload_defaults(config);
  apply_layers(config, handler, facts, method);
  resolve_effective_batch(config, world.size);
  if (w.seq_len > facts.max_length)
    throw UsageError("--seq-len " + std::to_string(w.seq_len) + " is longer than the model's " + std::to_string(facts.max_length));
  const torch::ScalarType dtype = model::parse_precision(*config.text("precision"));
  train::TrainerSettings settings;
  read_optimizer_settings(config, settings);

  const double read_seconds = bench::warm_read_seconds(model_dir);
  const auto load_start = std::chrono::steady_clock::now();
  model::Model model = model::load_model(model_dir, session.registry, {handler.name(), dtype, "", true});
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  resolve_auto_rank(config, *model.network);
  std::unique_ptr<MethodRun> run = apply_method(method, *model.network, config, facts);
  place_network(*model.network, device);
  device::reset_peak(device);

  const std::int64_t rows_per_step = settings.batch_size * settings.grad_accum * world.size, total_steps = w.warmup + w.steps;
  const fs::path tokens_file = w.workdir / ("tokens-" + w.preset + "-s" + std::to_string(w.seq_len) + "-b" +
                                            std::to_string(rows_per_step) + "-n" + std::to_string(total_steps) + ".json");
  auto examples = make_examples(total_steps, rows_per_step, w.seq_len, model.network->spec().vocab_size, settings.seed,
                                world.writes() ? tokens_file : fs::path());

  settings.max_length = w.seq_len;
  settings.max_steps = total_steps;
  settings.logging_steps = 1;
  settings.fp16 = dtype == torch::kFloat16;
  settings.tensorboard_events = false;
  settings.checkpoints = false;
  settings.restore_best = false;
  settings.progress_bar = false;
  // The trainer's logs go to a folder of this process's own, removed once the losses are read.
  train::OutputLayout layout{w.workdir / ("run-" + std::to_string(getpid()))};
  SaveInfo save_info{fs::absolute(model_dir), model.config};
  train::Trainer trainer(*model.network, *run, examples, {}, 0, settings, layout, save_info, {}, group.get());
  spdlog::info("bench: {} steps ({} warm-up), {}", total_steps, w.warmup, run->summary());
  train::TrainResult result;
  if (auto trace = config.text("profile")) {
    torch::autograd::profiler::RecordProfile profile(*trace);  // every op of every step, for chrome://tracing
    result = trainer.run(std::nullopt);
  } else {
    result = trainer.run(std::nullopt);
  }
  if (!world.writes()) return kExitOk;  // rank 0 reports

  // Medians over the measured steps (the warm-up left out), with the spread of the step times.
  std::vector<double> data, forward, backward, optimizer, step;
  for (std::size_t i = static_cast<std::size_t>(w.warmup); i < result.step_times.size(); ++i) {
    const auto& t = result.step_times[i];
    data.push_back(t.data), forward.push_back(t.forward), backward.push_back(t.backward), optimizer.push_back(t.optimizer);
    step.push_back(t.total());
  }
  const double step_seconds = median(step);
  const std::int64_t peak_rss = bench::peak_rss_bytes();
  const auto peak_device = device::peak_allocated_bytes(device);

  // The machine's matmul peak right after the run (its matrices are not in the run's peak memory).
  std::optional<double> peak_bf16, peak_fp32;
  if (config.flag("gemm-peak")) {
    spdlog::info("measuring the matmul peak (bf16, fp32)");
    peak_bf16 = bench::gemm_peak(torch::kBFloat16, device);
    peak_fp32 = bench::gemm_peak(torch::kFloat32, device);
  }
  const std::int64_t tokens_per_step = rows_per_step * w.seq_len;
  const auto bytes = bench::model_bytes(*model.network);
  const auto flops = bench::training_flops(*model.network, rows_per_step, w.seq_len);
  const double flops_per_second = flops.total() / step_seconds;
  const bool bf16_compute = dtype != torch::kFloat32;

  json report{{"implementation", "ftcore"},
              {"ftcore_version", FTCORE_VERSION},
              {"torch", torch_version()},
              {"machine", bench::machine_description(threads)},
              {"device", device.str()},
              {"device_name", device::describe(device)},
              {"threads", threads},
              {"model", handler.name() + " " + w.preset + " (" + text::format_number("%.1f", bytes.parameters / 1e6) + "M parameters)"},
              {"model_dir", fs::absolute(model_dir).string()},
              {"tokens_file", fs::absolute(tokens_file).string()},
              {"preset", w.preset},
              {"method", method.name()},
              {"method_summary", run->summary()},
              {"precision", *config.text("precision")},
              {"seq_len", w.seq_len},
              {"batch_size", rows_per_step},
              {"steps", w.steps},
              {"warmup", w.warmup},
              {"tokens_per_second", static_cast<double>(tokens_per_step) / step_seconds},
              {"step_seconds", step_seconds},
              {"step_seconds_min", *std::min_element(step.begin(), step.end())},
              {"step_seconds_max", *std::max_element(step.begin(), step.end())},
              {"phases", {{"data", median(data)}, {"forward", median(forward)}, {"backward", median(backward)},
                          {"optimizer", median(optimizer)}}},
              {"peak_rss_bytes", peak_rss},
              {"peak_device_bytes", peak_device ? json(*peak_device) : json(nullptr)},
              {"weights_bytes", bytes.weights},
              {"grads_bytes", bytes.trainable},
              {"optimizer_bytes", result.optimizer_state_bytes},
              {"parameters", bytes.parameters},
              {"trainable_parameters", bytes.trainable_parameters},
              {"load_seconds", load_seconds},
              {"read_seconds", read_seconds},
              {"flops_per_step", flops.total()},
              {"flops_per_second", flops_per_second},
              {"gemm_peak_bf16", peak_bf16 ? json(*peak_bf16) : json(nullptr)},
              {"gemm_peak_fp32", peak_fp32 ? json(*peak_fp32) : json(nullptr)},
              {"ranks", world.size},
              {"backend", group ? json(group->backend()) : json(nullptr)},
              // With several ranks on one machine, rank 0 measured the peak on its share of the cores.
              {"mfu_reference", std::string(bf16_compute ? "bf16" : "fp32") +
                                    (world.size > 1 ? " x " + std::to_string(world.size) + " ranks" : "")},
              {"mfu", peak_bf16 ? json(flops_per_second / ((bf16_compute ? *peak_bf16 : *peak_fp32) * world.size)) : json(nullptr)},
              {"losses", logged_losses(layout.metrics())}};
  fs::remove_all(layout.root);
  print_report(report);
  if (auto file = config.text("report")) {
    std::ofstream out(*file);
    out << report.dump(2) << "\n";
    if (!out) throw RunError(*file + ": cannot write the report");
  }
  return kExitOk;
}

}  // namespace ftcore::cli
