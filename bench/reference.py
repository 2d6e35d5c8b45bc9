#!/usr/bin/env python3
"""transformers + peft's side of `ftcore bench`: the same LoRA training workload, timed the same way.

    reference.py --model DIR --tokens FILE --steps N [--warmup W] [--lora-r 16] [--precision bf16|fp32]
                 [--threads T] [--device cpu|cuda] [--loop plain|trainer] [--json OUT]

The model is a Hugging Face Llama directory (`ftcore bench` writes one), FILE the token rows
`{"seq_len": S, "batch_size": B, "rows": [[...S ints], ...]}`: step i trains on rows[i*B:(i+1)*B],
labels = input_ids. LoRA rank R (alpha 2R, dropout 0) on q/k/v/o/gate/up/down, AdamW lr 2e-4 without
weight decay, gradient clipping at 1.0; bf16 loads the model in bfloat16 and runs forward under CPU
autocast to bfloat16, as transformers' Trainer does with bf16=True. The first W steps are warm-up and
not measured. --device cuda trains on the GPU (the model moved there after loading, autocast on CUDA,
the GPU waited for before each timer reading) and also reports the GPU allocator's peak.

--loop plain (default) is the Trainer's step written out, each phase timed with time.perf_counter:
data (batch tensors from the rows), forward (loss), backward, optimizer (clip, step, zero_grad).
--loop trainer runs transformers.Trainer itself; a callback measures tokens/s between the ends of
steps after the warm-up (data loading and the Trainer's bookkeeping included, no phase split).

Attention is the fastest the stack offers (sdpa from torch 2.1.1, eager before). Times are
medians over the measured steps; peak RSS is the whole process's (ru_maxrss), as ftcore's.
Works on torch 1.13 + transformers 4.46 + peft 0.13 and on torch 2.x + transformers 5 + peft 0.2x.
"""
import argparse
import json
import os
import resource
import sys
import time
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import peft  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from packaging.version import Version  # noqa: E402

transformers.utils.logging.disable_progress_bar()
# transformers 5 warns of names peft 0.21 still uses (is_gradient_checkpointing); nothing to act on here.
warnings.filterwarnings("ignore", category=FutureWarning)

TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LEARNING_RATE = 2e-4
MAX_GRAD_NORM = 1.0


def parse_args():
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model directory")
    parser.add_argument("--tokens", required=True, help="token rows JSON written by `ftcore bench`")
    parser.add_argument("--steps", type=int, required=True, help="measured steps")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up steps before the measured ones")
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--loop", choices=["plain", "trainer"], default="plain")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.threads < 1 or args.lora_r < 1:
        parser.error("--steps, --threads and --lora-r must be at least 1, --warmup at least 0")
    return args


def load_tokens(path, steps):
    """The token file's seq_len, batch_size and rows, checked to hold `steps` full batches."""
    with open(path, encoding="utf-8") as f:
        tokens = json.load(f)
    seq_len, batch_size, rows = tokens["seq_len"], tokens["batch_size"], tokens["rows"]
    if len(rows) < steps * batch_size:
        sys.exit(f"reference.py: {path} has {len(rows)} rows; {steps} steps of batch {batch_size} need "
                 f"{steps * batch_size}")
    if any(len(row) != seq_len for row in rows):
        sys.exit(f"reference.py: {path}: every row must hold seq_len={seq_len} tokens")
    return seq_len, batch_size, rows


def read_seconds(model_dir):
    """Seconds to read every file of the model directory into memory, after a first (warming) read."""
    files = [os.path.join(model_dir, name) for name in sorted(os.listdir(model_dir))]
    files = [path for path in files if os.path.isfile(path)]

    def read_all():
        for path in files:
            with open(path, "rb") as f:
                f.read()

    read_all()
    start = time.perf_counter()
    read_all()
    return time.perf_counter() - start


def attention_implementation():
    """The fastest attention this stack offers on a CPU: PyTorch's scaled_dot_product_attention
    (transformers' "sdpa", torch >= 2.1.1), else transformers' "eager" matmul-softmax-matmul."""
    return "sdpa" if Version(torch.__version__.split("+")[0]) >= Version("2.1.1") else "eager"


def load_model(model_dir, dtype):
    """The causal LM in `dtype` with the fastest attention, and the seconds from_pretrained took
    (transformers 5 names the keyword `dtype`, 4.x `torch_dtype`)."""
    keyword = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
    start = time.perf_counter()
    model = transformers.AutoModelForCausalLM.from_pretrained(
        model_dir, attn_implementation=attention_implementation(), **{keyword: dtype})
    return model, time.perf_counter() - start


def add_lora(model, rank):
    """peft's LoRA on every decoder linear layer, with peft's defaults otherwise (from peft 0.12 its
    autocast_adapter_dtype keeps the adapter in float32 over a bfloat16 base)."""
    config = peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=TARGET_MODULES,
                             task_type="CAUSAL_LM")
    model = peft.get_peft_model(model, config)
    model.train()
    return model


def dtype_name(dtype):
    """'bfloat16' for torch.bfloat16."""
    return str(dtype).replace("torch.", "")


def autocast(precision, device):
    """The forward pass's context: autocast to bfloat16 for bf16 (as Trainer with bf16=True), none for fp32."""
    return torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")


def clock(device):
    """time.perf_counter once the GPU has run everything queued (a GPU works asynchronously)."""
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()


def plain_loop(model, rows, batch_size, total_steps, precision, device):
    """Trains total_steps steps; per step the seconds of each phase, the step's wall time and the loss."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=LEARNING_RATE, weight_decay=0.0)
    records = []
    for step in range(total_steps):
        t0 = clock(device)
        x = torch.tensor(rows[step * batch_size:(step + 1) * batch_size], dtype=torch.long).to(device)
        t1 = clock(device)
        with autocast(precision, device):
            loss = model(input_ids=x, labels=x).loss
        t2 = clock(device)
        loss.backward()
        t3 = clock(device)
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t4 = clock(device)
        records.append({"phases": {"data": t1 - t0, "forward": t2 - t1, "backward": t3 - t2, "optimizer": t4 - t3},
                        "seconds": t4 - t0, "loss": loss.item()})
        print(f"step {step + 1}/{total_steps}: loss {records[-1]['loss']:.4f}, {t4 - t0:.3f} s "
              f"(data {t1 - t0:.4f}, forward {t2 - t1:.3f}, backward {t3 - t2:.3f}, optimizer {t4 - t3:.4f})",
              file=sys.stderr)
    return records


def trainer_loop(model, rows, batch_size, total_steps, precision, device, output_dir):
    """Trains total_steps steps with transformers.Trainer; per step the wall time between the ends of
    consecutive steps (the first step's from the start of training) and the logged loss."""
    dataset = [{"input_ids": torch.tensor(row, dtype=torch.long), "labels": torch.tensor(row, dtype=torch.long)}
               for row in rows[:total_steps * batch_size]]
    arguments = transformers.TrainingArguments(
        output_dir=output_dir, use_cpu=device == "cpu", bf16=precision == "bf16", per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=1, max_steps=total_steps, learning_rate=LEARNING_RATE, weight_decay=0.0,
        max_grad_norm=MAX_GRAD_NORM, optim="adamw_torch", lr_scheduler_type="constant", save_strategy="no",
        eval_strategy="no", logging_strategy="steps", logging_steps=1, report_to="none", disable_tqdm=True,
        dataloader_num_workers=0, seed=0)
    timer = StepTimer()
    trainer = transformers.Trainer(model=model, args=arguments, train_dataset=dataset, callbacks=[timer])
    trainer.train()
    return [{"seconds": seconds, "loss": loss} for seconds, loss in zip(timer.seconds, timer.losses)]


class StepTimer(transformers.TrainerCallback):
    """Wall time between the ends of consecutive Trainer steps, and the loss logged at each step."""

    def __init__(self):
        self.seconds, self.losses = [], []
        self.last = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.last = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.seconds.append(now - self.last)
        self.last = now

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append(float(logs["loss"]))


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def summary(args, seq_len, batch_size, measured, load, read, model):
    """The result object (the keys ftcore bench's JSON shares): medians over the measured steps,
    the spread of the step times, the whole process's peak resident memory (ru_maxrss, as ftcore's)."""
    steps = [record["seconds"] for record in measured]
    step_seconds = median(steps)
    trainable = [p for p in model.parameters() if p.requires_grad]
    result = {
        "implementation": "transformers+peft", "loop": args.loop, "torch": torch.__version__,
        "transformers": transformers.__version__, "peft": peft.__version__, "threads": args.threads,
        "precision": args.precision, "seq_len": seq_len, "batch_size": batch_size, "steps": args.steps,
        "warmup": args.warmup, "tokens_per_second": seq_len * batch_size / step_seconds,
        "step_seconds": step_seconds, "step_seconds_min": min(steps), "step_seconds_max": max(steps),
        "attention": attention_implementation(),
        "device": args.device,
        "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_device_bytes": torch.cuda.max_memory_allocated() if args.device == "cuda" else None,
        "load_seconds": load, "read_seconds": read,
        "trainable_parameters": sum(p.numel() for p in trainable),
        "parameters": sum(p.numel() for p in model.parameters()),
        "adapter_dtype": dtype_name(trainable[0].dtype),
        "losses": [record["loss"] for record in measured],
    }
    if args.loop == "plain":
        result["phases"] = {name: median([record["phases"][name] for record in measured])
                            for name in ("data", "forward", "backward", "optimizer")}
    return result


def report(result):
    """A few lines for a person."""
    print(f"transformers {result['transformers']} + peft {result['peft']} on torch {result['torch']} "
          f"({result['loop']} loop, {result['attention']} attention, {result['threads']} threads, {result['precision']}, adapter "
          f"{result['adapter_dtype']}): {result['tokens_per_second']:.1f} tokens/s, "
          f"{result['step_seconds']:.3f} s/step")
    if "phases" in result:
        print("  phases (s/step): " + ", ".join(f"{k} {v:.4f}" for k, v in result["phases"].items()))
    if result["peak_device_bytes"] is not None:
        print(f"  {result['device_name']}: peak allocated {result['peak_device_bytes'] / 2**20:.0f} MiB")
    print(f"  peak RSS {result['peak_rss_bytes'] / 2**20:.0f} MiB, load {result['load_seconds']:.3f} s, "
          f"read {result['read_seconds']:.4f} s, trainable {result['trainable_parameters']} of "
          f"{result['parameters']} parameters")


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    seq_len, batch_size, rows = load_tokens(args.tokens, args.warmup + args.steps)
    read = read_seconds(args.model)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("reference.py: --device cuda, but this torch sees no CUDA GPU")
    model, load = load_model(args.model, torch.bfloat16 if args.precision == "bf16" else torch.float32)
    model = add_lora(model.to(args.device), args.lora_r)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    total = args.warmup + args.steps
    if args.loop == "plain":
        records = plain_loop(model, rows, batch_size, total, args.precision, args.device)
    else:
        output_dir = os.path.join(os.path.dirname(os.path.abspath(args.json or args.tokens)), "trainer-output")
        records = trainer_loop(model, rows, batch_size, total, args.precision, args.device, output_dir)
    result = summary(args, seq_len, batch_size, records[args.warmup:], load, read, model)
    report(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
