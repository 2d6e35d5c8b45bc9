// The option table: every run option, its spellings from other tools, and its YAML paths.
// Adding an option = adding a row here; the CLI, YAML, help text and docs follow from it.
#include "config/options.hpp"

#include <algorithm>
#include <stdexcept>

namespace ftcore::config {

namespace {

using T = OptionType;
constexpr unsigned kData = kRun | kValidate;
// What `ftcore bench` shares with `ftcore run`: the model's precision, the method and the optimizer.
constexpr unsigned kTrain = kRun | kBench;
constexpr unsigned kGenerating = kGenerate | kChat;
constexpr unsigned kModelCommands = kRun | kValidate | kPlugins | kTokenize | kTemplate | kGenerating | kMerge;

struct Bounds {
  const char* key;
  std::optional<double> at_least, at_most;
  const char* hint;
};

/// The values each numeric row accepts; parse_value refuses the rest with the row's hint.
const Bounds kBounds[] = {
    {"max-length", 1, {}, ""},
    {"max-examples", 1, {}, ""},
    {"max-steps", 1, {}, "leave it out to train for --epochs"},
    {"effective-batch-size", 1, {}, ""},
    {"batch-size", 1, {}, ""},
    {"grad-accum", 1, {}, ""},
    {"warmup-steps", 0, {}, ""},
    {"warmup-ratio", 0, 1, ""},
    {"weight-decay", 0, {}, ""},
    {"max-grad-norm", 0, {}, "0 turns clipping off"},
    {"eval-steps", 1, {}, "leave it out to evaluate as the mode says"},
    {"logging-steps", 1, {}, ""},
    {"save-steps", 1, {}, "leave it out to save at each evaluation"},
    {"save-total-limit", 1, {}, "best/ and last/ are kept besides; give a large number to keep more"},
    {"nproc", 1, {}, ""},
    {"threads", 1, 65536, "leave it out to use every core"},
    {"record", 1, {}, ""},
    {"max-new-tokens", 0, {}, ""},
    {"top-k", 0, {}, "0 samples among all tokens"},
    {"temperature", 0, {}, "0 picks the most likely token"},
    {"vocab-size", 1, {}, ""},
};

std::vector<OptionSpec> with_bounds(std::vector<OptionSpec> table) {
  for (const auto& bounds : kBounds) {
    auto row = std::find_if(table.begin(), table.end(), [&](const OptionSpec& spec) { return spec.key == bounds.key; });
    if (row == table.end()) throw std::logic_error(std::string("option bounds for unknown option '") + bounds.key + "'");
    row->at_least = bounds.at_least;
    row->at_most = bounds.at_most;
    row->bound_hint = bounds.hint;
  }
  return table;
}

std::vector<OptionSpec> make_table() {
  return with_bounds({
      // ---- model and plugins ------------------------------------------------------------------
      {"model", T::text, {}, "DIR", "Hugging Face model directory (config.json, safetensors, tokenizer)",
       {"model_name_or_path", "model_id_or_path", "model_path", "base_model"}, {"model.path", "model.name"},
       {}, {}, kModelCommands, "Model"},
      {"handler", T::text, {}, "NAME", "Model family plugin (default: detected from config.json)",
       {}, {"model.handler"}, {}, {}, kRun | kGenerating | kMerge, "Model"},
      {"max-length", T::integer, {}, "N", "Longest training sequence in tokens (default: the handler's)",
       {"max_seq_length", "cutoff_len", "max_len", "model_max_length"}, {"model.max_seq_length"}, {}, {},
       kRun, "Model"},
      {"precision", T::text, "auto", "P", "Training precision: bf16, fp16, fp32 or auto (the handler's)",
       {"torch_dtype", "dtype"}, {"model.torch_dtype"}, {"bf16", "fp16", "fp32", "auto"},
       {{"bfloat16", "bf16"}, {"float16", "fp16"}, {"half", "fp16"}, {"float32", "fp32"}, {"float", "fp32"}},
       kTrain | kGenerating | kMerge, "Model"},
      {"load-in-8bit", T::flag, "false", "", "Keep frozen base weights in int8 (weight-only, per-row scales)",
       {"use_8bit"}, {"model.load_in_8bit"}, {}, {}, kTrain, "Model"},
      {"device", T::text, "auto", "DEV", "Where to train: auto (the GPU when this build and machine have CUDA, else "
       "the CPU), cpu, cuda (the GPU of LOCAL_RANK) or cuda:N", {}, {"model.device"}, {}, {}, kTrain, "Model"},
      {"gradient-checkpointing", T::flag, {}, "", "Recompute activations in backward to save memory "
       "(default: the method's)", {}, {"model.gradient_checkpointing"}, {}, {}, kTrain, "Model"},

      // ---- data --------------------------------------------------------------------------------
      {"data", T::list, {}, "PATHS", "Training data: files, globs ('data/*.jsonl'), directories, comma-separated",
       {"dataset", "train_file", "data_path"}, {"dataset.name", "dataset.path"}, {}, {}, kData, "Data"},
      {"data-subset", T::text, {}, "NAME", "Subdirectory of each --data directory to read",
       {}, {"dataset.subset"}, {}, {}, kData, "Data"},
      {"data-split", T::text, {}, "NAME", "Read only files named NAME.* / NAME-* / NAME_* in --data directories",
       {}, {"dataset.split"}, {}, {}, kData, "Data"},
      {"format", T::text, {}, "NAME", "Dataset format plugin (default: detected per file)",
       {"dataset_format"}, {"dataset.format"}, {}, {}, kData | kTemplate, "Data"},
      {"max-examples", T::integer, {}, "N", "Use at most N records", {"max_samples"},
       {"dataset.max_examples"}, {}, {}, kData, "Data"},
      {"skip-invalid", T::flag, "false", "", "Warn about invalid records and go on instead of failing",
       {}, {}, {}, {}, kData, "Data"},
      {"validation-split", T::number, "0.1", "F", "Fraction of records held out for evaluation",
       {"val_size", "val_set_size"}, {"dataset.validation_split"}, {}, {}, kRun, "Data"},
      {"packing", T::flag, "false", "", "Pack several samples into each sequence", {}, {}, {}, {}, kRun, "Data"},
      {"train-on-inputs", T::flag, "false", "", "Also train on prompts / user turns",
       {"train_on_prompt"}, {}, {}, {}, kRun, "Data"},
      {"reasoning", T::text, "train", "POLICY", "Assistant reasoning: train, mask (shown, not trained) or drop",
       {}, {}, {"train", "mask", "drop"}, {}, kRun, "Data"},

      // ---- method ------------------------------------------------------------------------------
      {"method", T::text, "lora", "NAME", "Training method plugin: lora, qlora, dora, adalora, full, freeze, ...",
       {"train_type", "finetuning_type"}, {}, {}, {}, kTrain, "Method"},
      {"lora-r", T::integer, {}, "N|auto", "LoRA rank (auto: from model size)", {"lora_rank", "lora_r"},
       {"model.lora_config.r"}, {"auto"}, {}, kTrain, "Method"},
      {"lora-alpha", T::number, {}, "F", "LoRA alpha (scaling = alpha / r)", {}, {"model.lora_config.lora_alpha"},
       {}, {}, kTrain, "Method"},
      {"lora-dropout", T::number, {}, "F", "Dropout on the LoRA input", {}, {"model.lora_config.lora_dropout"},
       {}, {}, kTrain, "Method"},
      {"target-modules", T::list, {}, "NAMES", "Modules to adapt: names, all-linear, or a regex",
       {"lora_target", "lora_target_modules"}, {"model.lora_config.target_modules"}, {}, {}, kTrain, "Method"},
      {"lora-bias", T::text, {}, "B", "Train biases: none, all or lora_only", {"bias"},
       {"model.lora_config.bias"}, {"none", "all", "lora_only"}, {}, kTrain, "Method"},
      {"use-rslora", T::flag, {}, "", "Rank-stabilised scaling alpha / sqrt(r)", {}, {"model.lora_config.use_rslora"},
       {}, {}, kTrain, "Method"},
      {"use-dora", T::flag, {}, "", "DoRA: LoRA plus a learned magnitude per output row (what --method dora does)", {},
       {"model.lora_config.use_dora"}, {}, {}, kTrain, "Method"},
      {"bnb-4bit-quant-type", T::text, "nf4", "T", "qlora: 4-bit code book of the frozen base, nf4 or fp4", {},
       {"model.bnb_4bit_quant_type", "quantization_config.bnb_4bit_quant_type"}, {"nf4", "fp4"}, {}, kTrain, "Method"},
      {"bnb-4bit-compute-dtype", T::text, {}, "P", "qlora/--load-in-8bit: dtype of the dequantised products "
       "(default: the training precision)", {}, {"model.bnb_4bit_compute_dtype", "quantization_config.bnb_4bit_compute_dtype"},
       {"bf16", "fp16", "fp32"}, {{"bfloat16", "bf16"}, {"float16", "fp16"}, {"float32", "fp32"}}, kTrain, "Method"},
      {"bnb-4bit-use-double-quant", T::flag, "true", "", "qlora: quantise the absmax constants too (8-bit, blocks of "
       "256): 4.127 instead of 4.5 bits per weight", {}, {"model.bnb_4bit_use_double_quant",
       "quantization_config.bnb_4bit_use_double_quant"}, {}, {}, kTrain, "Method"},
      {"adalora-init-r", T::integer, {}, "N", "adalora: initial rank of every adapted layer (default: --lora-r)",
       {"init_r"}, {"model.lora_config.init_r"}, {}, {}, kTrain, "Method"},
      {"adalora-target-r", T::integer, {}, "N", "adalora: average rank per layer the budget ends at (default 8)",
       {"target_r"}, {"model.lora_config.target_r"}, {}, {}, kTrain, "Method"},
      {"adalora-tinit", T::integer, {}, "N", "adalora: steps before any rank is pruned (default 0)", {"tinit"},
       {"model.lora_config.tinit"}, {}, {}, kTrain, "Method"},
      {"adalora-tfinal", T::integer, {}, "N", "adalora: last steps with the final rank pattern fixed (default 0)",
       {"tfinal"}, {"model.lora_config.tfinal"}, {}, {}, kTrain, "Method"},
      {"adalora-delta-t", T::integer, {}, "N", "adalora: prune every N steps while the budget falls (default 1)",
       {"deltaT", "delta_t"}, {"model.lora_config.deltaT"}, {}, {}, kTrain, "Method"},
      {"adalora-beta1", T::number, {}, "F", "adalora: smoothing of the importance (default 0.85)", {},
       {"model.lora_config.beta1"}, {}, {}, kTrain, "Method"},
      {"adalora-beta2", T::number, {}, "F", "adalora: smoothing of its uncertainty (default 0.85)", {},
       {"model.lora_config.beta2"}, {}, {}, kTrain, "Method"},
      {"adalora-orth-reg-weight", T::number, {}, "F", "adalora: weight of the orthogonality penalty (default 0.5)",
       {"orth_reg_weight"}, {"model.lora_config.orth_reg_weight"}, {}, {}, kTrain, "Method"},
      {"adalora-total-step", T::integer, {}, "N", "adalora: steps the budget schedule spans (default: the run's)",
       {"total_step"}, {"model.lora_config.total_step"}, {}, {}, kTrain, "Method"},
      {"layers-to-transform", T::list, {}, "N,...", "Adapt only these decoder layer indices (PEFT's layers_to_transform)",
       {}, {"model.lora_config.layers_to_transform"}, {}, {}, kTrain, "Method"},
      {"layers-pattern", T::text, {}, "NAME", "The name before the layer index for --layers-to-transform (layers, h; "
       "default: any)", {}, {"model.lora_config.layers_pattern"}, {}, {}, kTrain, "Method"},
      {"freeze-trainable-layers", T::integer, {}, "N",
       "freeze: train the last N decoder layers (negative: the first -N); 2 by default", {}, {}, {}, {}, kTrain, "Method"},
      {"freeze-trainable-modules", T::list, {}, "NAMES",
       "freeze: modules of those layers that train (mlp, self_attn, q_proj, ...; all by default)", {}, {}, {}, {}, kTrain,
       "Method"},
      {"freeze-extra-modules", T::list, {}, "NAMES",
       "freeze: modules outside the decoder layers that train too (embed_tokens, norm, lm_head)", {}, {}, {}, {}, kTrain,
       "Method"},
      {"modules-to-save", T::list, {}, "NAMES", "Modules trained in full and saved with the adapter", {},
       {"model.lora_config.modules_to_save"}, {}, {}, kTrain, "Method"},

      // ---- training ----------------------------------------------------------------------------
      {"mode", T::list, "medium", "NAMES", "Training mode(s), combinable: slow, medium, fast or non-stop (pace); "
       "adaptive, circular, force-epochs (docs/modes.md)", {"training_mode"}, {"training.mode"}, {}, {}, kRun,
       "Training"},
      {"circular", T::flag, "false", "", "Add the circular mode (as --mode ...,circular)", {}, {}, {}, {}, kRun,
       "Training"},
      {"force-epochs", T::flag, "false", "", "Add the force-epochs mode: every requested epoch, no auto-stop", {}, {},
       {}, {}, kRun, "Training"},
      {"max-circular-epochs", T::integer, "100", "N", "circular: at most N cycles over the data", {}, {}, {}, {},
       kRun, "Training"},
      {"circular-batch-growth", T::number, "1.2", "F", "circular: effective-batch multiplier per cycle (up to 8x)",
       {}, {}, {}, {}, kRun, "Training"},
      {"auto-stop", T::flag, "true", "", "Stop on the early-stop rules: patience, overfitting, perfect loss, "
       "perplexity explosion", {"early_stopping"}, {}, {}, {}, kRun, "Training"},
      {"task-type", T::text, "auto", "TYPE", "auto (from the data), instruction or text-generation: picks the "
       "stop thresholds", {}, {}, {"auto", "instruction", "text-generation"}, {{"text_generation", "text-generation"}},
       kRun, "Training"},
      {"patience", T::integer, {}, "N", "Stop after N evaluations without a better validation loss (default: 3, "
       "text generation 5; 0: off)", {"early_stopping_patience"}, {}, {}, {}, kRun, "Training"},
      {"overfitting-threshold", T::number, {}, "F", "Stop when validation loss exceeds training loss by this "
       "fraction and stops improving (default: 0.1, text generation 0.2; 0: off)", {}, {}, {}, {}, kRun, "Training"},
      {"perfect-loss", T::number, {}, "F", "Stop when the training loss reaches F (default: 0.01, text generation "
       "0.5; 0: off)", {}, {}, {}, {}, kRun, "Training"},
      {"restore-best", T::flag, "true", "", "End with the best checkpoint's weights (best/ becomes the output)",
       {"load_best_model_at_end"}, {}, {}, {}, kRun, "Training"},
      {"epochs", T::number, {}, "F", "Passes over the data (default: the mode's)",
       {"num_train_epochs", "num_epochs"}, {}, {}, {}, kRun, "Training"},
      {"max-steps", T::integer, {}, "N", "Stop after N optimizer steps", {}, {}, {}, {}, kRun, "Training"},
      {"effective-batch-size", T::integer, {}, "N", "Samples per optimizer step over all ranks: --grad-accum "
       "becomes N / (batch-size x ranks), which must divide", {"global_batch_size"}, {}, {}, {}, kTrain, "Training"},
      {"batch-size", T::integer, "1", "N", "Samples per micro-batch (per rank)",
       {"per_device_train_batch_size", "micro_batch_size", "train_batch_size"}, {}, {}, {}, kTrain, "Training"},
      {"grad-accum", T::integer, {}, "N", "Micro-batches per optimizer step (default: the method's)",
       {"gradient_accumulation_steps"}, {}, {}, {}, kTrain, "Training"},
      {"learning-rate", T::number, {}, "F", "Peak learning rate (default: the method's)", {"lr"}, {}, {}, {},
       kTrain, "Training"},
      {"lr-scheduler", T::text, "cosine", "NAME", "constant, linear, cosine or polynomial",
       {"lr_scheduler_type"}, {}, {"constant", "linear", "cosine", "polynomial"},
       {{"constant_with_warmup", "constant"}}, kTrain, "Training"},
      {"warmup-ratio", T::number, {}, "F", "Warm-up as a fraction of all steps", {}, {}, {}, {}, kTrain, "Training"},
      {"warmup-steps", T::integer, {}, "N", "Warm-up steps (wins over --warmup-ratio)", {}, {}, {}, {}, kTrain,
       "Training"},
      {"weight-decay", T::number, {}, "F", "AdamW weight decay", {}, {}, {}, {}, kTrain, "Training"},
      {"max-grad-norm", T::number, "1.0", "F", "Clip gradients to this global norm (0: off)", {}, {}, {}, {},
       kTrain, "Training"},
      {"adam-beta1", T::number, "0.9", "F", "AdamW beta1", {}, {}, {}, {}, kTrain, "Training"},
      {"adam-beta2", T::number, "0.999", "F", "AdamW beta2", {}, {}, {}, {}, kTrain, "Training"},
      {"adam-epsilon", T::number, "1e-8", "F", "AdamW epsilon", {}, {}, {}, {}, kTrain, "Training"},
      {"optimizer", T::text, "adamw_torch", "NAME",
       "adamw_torch, adamw_8bit (8-bit moments), paged_adamw_8bit (no paging yet: adamw_8bit) or adafactor",
       {"optim"}, {}, {"adamw_torch", "adamw_8bit", "paged_adamw_8bit", "adafactor"},
       {{"adamw", "adamw_torch"}, {"adamw_bnb_8bit", "adamw_8bit"}}, kTrain, "Training"},
      {"seed", T::integer, "42", "N", "Seed for data order, splits, initialisation and sampling", {}, {}, {}, {},
       kTrain | kGenerating | kInitModel, "Training"},
      {"eval-steps", T::integer, {}, "N", "Evaluate every N steps (default: the mode's)", {}, {}, {}, {}, kRun,
       "Training"},
      {"logging-steps", T::integer, "10", "N", "Log every N steps", {}, {}, {}, {}, kRun, "Training"},
      {"save-steps", T::integer, {}, "N", "Checkpoint every N steps (default: at each evaluation)", {}, {}, {},
       {}, kRun, "Training"},
      {"save-total-limit", T::integer, "3", "N", "Keep at most N checkpoints besides best/ and last/", {}, {},
       {}, {}, kRun, "Training"},

      // ---- distributed -------------------------------------------------------------------------
      {"nproc", T::integer, "1", "N", "Start N local worker processes (data parallel, as torchrun --nproc-per-node "
       "N); under torchrun or srun the environment says (docs/distributed.md)", {"nproc_per_node"}, {}, {}, {},
       kTrain, "Distributed"},
      {"dist-timeout", T::integer, "600", "SECONDS", "How long the ranks wait to meet and for each other in a "
       "collective before the run fails", {}, {}, {}, {}, kTrain, "Distributed"},

      // ---- output ------------------------------------------------------------------------------
      {"output", T::text, {}, "DIR", "Output directory (default: the model directory)",
       {"output_dir", "out"}, {"training.output_dir"}, {}, {}, kRun | kInitModel | kMerge, "Output"},
      {"overwrite", T::flag, "false", "", "Replace existing results in the output directory",
       {"overwrite_output_dir"}, {}, {}, {}, kRun | kInitModel | kMerge, "Output"},
      {"resume", T::flag, "false", "", "Continue from the last checkpoint", {}, {}, {}, {}, kRun, "Output"},
      {"resume-from", T::text, {}, "DIR", "Continue from this checkpoint directory",
       {"resume_from_checkpoint"}, {}, {}, {}, kRun, "Output"},
      {"merge", T::flag, "false", "", "Also write merged/ (base weights + adapter) at the end", {}, {}, {}, {},
       kRun, "Output"},
      {"print-config", T::flag, "false", "", "Print the resolved configuration as YAML and exit", {}, {}, {},
       {}, kRun, "Output"},

      // ---- monitoring --------------------------------------------------------------------------
      {"progress", T::text, "auto", "STYLE", "auto (a progress bar on a terminal, plain lines otherwise), bar or "
       "plain", {}, {}, {"auto", "bar", "plain"}, {}, kRun, "Monitoring"},
      {"tensorboard-events", T::flag, "true", "", "Write TensorBoard event files in logs/training/", {}, {}, {}, {},
       kRun, "Monitoring"},
      {"tensorboard", T::flag, "false", "", "Start TensorBoard on the logs while training (if installed)", {}, {},
       {}, {}, kRun, "Monitoring"},
      {"tensorboard-port", T::integer, "6006", "PORT", "Port TensorBoard serves on", {}, {}, {}, {}, kRun,
       "Monitoring"},
      {"tensorboard-host", T::text, "127.0.0.1", "ADDR", "Address TensorBoard listens on (0.0.0.0: every interface; "
       "anyone who reaches it reads the logs, with no login)", {}, {}, {}, {}, kRun, "Monitoring"},
      {"tensorboard-only", T::flag, "false", "", "Serve the logs of --output (or --model) with TensorBoard and train "
       "nothing; a port may follow", {}, {}, {}, {}, kRun, "Monitoring"},

      // ---- tokenize and template -------------------------------------------------------------
      {"input", T::text, {}, "FILE", "Texts to tokenize, one per line (a line may be a JSON string); default: "
       "standard input", {}, {}, {}, {}, kTokenize, "Inspect"},
      {"decode", T::flag, "false", "", "Read token ids (a JSON array or space-separated per line) and print text",
       {}, {}, {}, {}, kTokenize, "Inspect"},
      {"json", T::flag, "false", "", "Machine-readable output: one JSON value per line", {}, {}, {}, {},
       kTokenize | kTemplate, "Inspect"},
      {"add-special-tokens", T::flag, "true", "", "Add the tokenizer's BOS/EOS (its post-processor) when encoding",
       {}, {}, {}, {}, kTokenize, "Inspect"},
      {"skip-special-tokens", T::flag, "false", "", "Leave special tokens out when decoding", {}, {}, {}, {},
       kTokenize, "Inspect"},
      {"messages", T::text, {}, "FILE", "A conversation: a JSON list of messages, {\"messages\": [...], \"tools\": "
       "[...]}, or a dataset file in any format", {}, {}, {}, {}, kTemplate | kGenerate, "Inspect"},
      {"record", T::integer, "1", "N", "Which record of a dataset file --messages names (1-based)", {}, {}, {}, {},
       kTemplate | kGenerate, "Inspect"},
      {"tools", T::text, {}, "FILE", "Tool definitions (a JSON list) offered to the model", {}, {}, {}, {},
       kTemplate | kGenerating, "Inspect"},
      {"add-generation-prompt", T::flag, "false", "", "End with the prompt for the next assistant turn", {}, {}, {},
       {}, kTemplate, "Inspect"},
      {"mask", T::flag, "false", "", "Mark the spans that train as [TRAIN]...[/TRAIN]", {}, {}, {}, {}, kTemplate,
       "Inspect"},
      {"chat-template", T::text, {}, "NAME", "Which template of a named list in tokenizer_config.json "
       "(default: 'default')", {}, {}, {}, {}, kRun | kValidate | kTemplate | kGenerating, "Inspect"},

      {"adapter", T::text, {}, "DIR", "Adapter or fine-tuned weights to use (default: <model>/lora, or <model>/full, "
       "when there; 'none' for the base model alone)", {"adapter_name_or_path", "peft_model"}, {}, {}, {},
       kGenerating | kMerge, "Output"},

      // ---- generate and chat -------------------------------------------------------------------
      {"prompt", T::text, {}, "TEXT", "The user's message (rendered with the chat template unless --raw)", {}, {},
       {}, {}, kGenerate, "Generation"},
      {"raw", T::flag, "false", "", "Feed --prompt to the model as is, without the chat template", {}, {}, {}, {},
       kGenerate, "Generation"},
      {"system", T::text, {}, "TEXT", "A system message in front of the conversation", {}, {}, {}, {},
       kGenerating, "Generation"},
      {"max-new-tokens", T::integer, "256", "N", "Generate at most N tokens", {"max_tokens"}, {}, {}, {},
       kGenerating, "Generation"},
      {"temperature", T::number, "0", "F", "Sampling temperature; 0 picks the most likely token (greedy)", {}, {},
       {}, {}, kGenerating, "Generation"},
      {"top-k", T::integer, "0", "N", "Sample among the N most likely tokens (0: all)", {}, {}, {}, {}, kGenerating,
       "Generation"},
      {"top-p", T::number, "1.0", "F", "Sample among the most likely tokens whose probabilities add up to F", {}, {},
       {}, {}, kGenerating, "Generation"},
      {"stop", T::list, {}, "TEXTS", "Stop when the output contains one of these strings (besides EOS)", {}, {},
       {}, {}, kGenerating, "Generation"},

      // ---- init-model --------------------------------------------------------------------------
      {"family", T::text, {}, "NAME", "Model family (an installed handler: llama, qwen2, mistral, gemma, gpt2, ...)",
       {}, {}, {}, {}, kInitModel | kBench, "Init model"},
      {"preset", T::text, "tiny", "NAME", "Model size: tiny, small, 100m or 500m", {}, {},
       {"tiny", "small", "100m", "500m"}, {}, kInitModel | kBench, "Init model"},
      {"vocab-size", T::integer, {}, "N", "Tokenizer vocabulary (default: the preset's)", {}, {}, {}, {}, kInitModel,
       "Init model"},
      {"weights-dtype", T::text, "fp32", "P", "Data type of the weights written: fp32, bf16 or fp16", {}, {},
       {"fp32", "bf16", "fp16"}, {}, kInitModel, "Init model"},
      {"tokenizer-data", T::list, {}, "PATHS", "Datasets (any format, as --data) whose text trains the tokenizer; "
       "without them the tokenizer has byte tokens only", {}, {}, {}, {}, kInitModel, "Init model"},

      // ---- bench -------------------------------------------------------------------------------
      {"seq-len", T::integer, "512", "N", "Tokens per sequence of the benchmark's batches", {}, {}, {}, {}, kBench,
       "Bench"},
      {"steps", T::integer, "4", "N", "Optimizer steps measured, after the warm-up", {}, {}, {}, {}, kBench, "Bench"},
      {"warmup", T::integer, "1", "N", "Steps run first and left out of the numbers", {}, {}, {}, {}, kBench, "Bench"},
      {"workdir", T::text, {}, "DIR", "Where the preset's model and token file are made and kept (default: "
       "$XDG_CACHE_HOME/ftcore/bench, else ~/.cache/ftcore/bench)", {}, {}, {}, {}, kBench, "Bench"},
      {"report", T::text, {}, "FILE", "Also write the results as JSON to FILE", {}, {}, {}, {}, kBench, "Bench"},
      {"profile", T::text, {}, "FILE", "Write a trace of every operation (Chrome trace JSON: chrome://tracing, "
       "Perfetto) to FILE", {}, {}, {}, {}, kBench, "Bench"},
      {"gemm-peak", T::flag, "true", "", "Measure the machine's bf16 and fp32 matmul peak (for the MFU)", {}, {}, {},
       {}, kBench, "Bench"},

      // ---- every command -----------------------------------------------------------------------
      {"config", T::text, {}, "FILE", "YAML file of options (command-line flags win over it)", {}, {}, {}, {},
       kRun | kValidate, "General"},
      {"plugin", T::list, {}, "PATH", "Load this plugin file or directory too (repeatable)", {}, {}, {}, {},
       kAllCommands, "General"},
      {"trust-model-plugins", T::flag, "false", "", "Load plugins found in <model>/ftcore-plugins/ without "
       "asking", {}, {}, {}, {}, kAllCommands, "General"},
      {"threads", T::integer, {}, "N", "CPU threads for compute (default: all cores)", {}, {}, {}, {},
       kTrain | kValidate | kGenerating | kInitModel | kMerge, "General"},
      {"log-level", T::text, "info", "LEVEL", "trace, debug, info, warn, error or off", {}, {}, 
       {"trace", "debug", "info", "warn", "error", "off"}, {{"warning", "warn"}}, kAllCommands, "General"},
      {"log-format", T::text, "text", "FMT", "text, or json (one JSON object per line, for tools)", {}, {},
       {"text", "json"}, {}, kAllCommands, "General"},
  });
}

}  // namespace

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = make_table();
  return table;
}

const std::vector<FlagMapping>& flag_mappings() {
  static const std::vector<FlagMapping> mappings{
      {{"bf16"}, {}, "precision", "bf16", {}, "Same as --precision bf16"},
      {{"fp16"}, {}, "precision", "fp16", {}, "Same as --precision fp16"},
      {{"load-in-4bit"}, {"model.load_in_4bit"}, "method", "qlora", {}, "Same as --method qlora"},
      {{"use-lora"}, {"model.use_lora"}, "method", "lora", "full",
       "true: --method lora, false: --method full"},
      {{"no-tensorboard"}, {}, "tensorboard-events", "false", {}, "Same as --tensorboard-events false"},
  };
  return mappings;
}

}  // namespace ftcore::config
