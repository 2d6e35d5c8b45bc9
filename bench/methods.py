"""Per-method benchmark: peak resident memory, bits per base weight and tokens/s of `ftcore run`.

    python3 bench/methods.py BUILD_DIR [--preset small|100m|500m] [--steps N] [--seq N] [--methods a,b]

Makes a random Llama of the preset with `ftcore init-model` (its tokenizer trained on the bundled
data), then trains each method on examples/data/alpaca.json packed into --seq-token rows (batch 2,
LoRA-family rank 16 on every linear layer, bf16), one process per method so that each peak is its
own (GNU time's maximum resident set size). tokens/s is the mean of the logged windows after the
first step (warm-up). Bits per base weight: what qlora / --load-in-8bit report in the run's log,
else the training precision's. Prints a Markdown table (docs/benchmarks.md keeps one).
Standard library only; no test asserts any of these numbers.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

METHODS = {
    "lora": [],
    "dora": ["--method", "dora"],
    "qlora (nf4)": ["--method", "qlora"],
    "qlora (fp4)": ["--method", "qlora", "--bnb-4bit-quant-type", "fp4"],
    "lora + load-in-8bit": ["--load-in-8bit"],
    "adalora": ["--method", "adalora", "--adalora-target-r", "8"],
    "freeze": ["--method", "freeze"],
    "full": ["--method", "full"],
}


def run_method(ftcore, model, data, out, extra, steps, seq):
    command = ["/usr/bin/time", "-f", "maxrss_kb=%M", ftcore, "run", "--model", model, "--data", data, "--output", out,
               "--max-steps", str(steps), "--batch-size", "2", "--grad-accum", "1", "--logging-steps", "1",
               "--packing", "--max-length", str(seq), "--lora-r", "16", "--target-modules", "all-linear",
               "--eval-steps", "100000", "--save-steps", "100000", "--gradient-checkpointing", "false",
               "--precision", "bf16", "--log-level", "info"] + extra
    done = subprocess.run(command, capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        sys.exit(f"bench/methods.py: {' '.join(extra) or 'lora'} failed:\n{log[-3000:]}")
    rss = int(re.search(r"maxrss_kb=(\d+)", log).group(1))
    bits = re.search(r"([0-9.]+) bits per weight", log)
    rates = []
    with open(os.path.join(out, "logs", "training", "metrics.jsonl"), encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if "train/tokens_per_second" in entry and entry["step"] > 1:
                rates.append(entry["train/tokens_per_second"])
    method_line = re.search(r"method: (.*)", log)
    return {"rss_mib": rss / 1024, "bits": float(bits.group(1)) if bits else 16.0,
            "tokens_per_s": sum(rates) / len(rates) if rates else float("nan"),
            "method": method_line.group(1).strip() if method_line else ""}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    ftcore = os.path.join(os.path.abspath(args.build_dir), "bin", "ftcore")
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = os.path.join(source, "examples", "data", "alpaca.json")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model")
        subprocess.run([ftcore, "init-model", "--family", "llama", "--preset", args.preset, "--output", model,
                        "--tokenizer-data", data, "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
        rows = []
        for name in args.methods.split(","):
            numbers = run_method(ftcore, model, data, os.path.join(tmp, "out-" + str(len(rows))), METHODS[name], args.steps,
                                 args.seq)
            rows.append((name, numbers))
            print(f"{name}: {numbers}", file=sys.stderr)
    print(f"Llama preset `{args.preset}`, {args.steps} steps, batch 2 x {args.seq} packed tokens, bf16, "
          f"rank 16 all-linear; {platform.machine()}, {os.cpu_count()} CPUs.\n")
    print("| method | peak RSS (MiB) | bits per base weight | tokens/s |")
    print("|---|---|---|---|")
    for name, n in rows:
        print(f"| {name} | {n['rss_mib']:.0f} | {n['bits']:.3f} | {n['tokens_per_s']:.0f} |")


if __name__ == "__main__":
    main()
