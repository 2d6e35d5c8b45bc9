#!/usr/bin/env python3
"""Side-by-side LoRA training benchmark: `ftcore bench` against transformers + peft (bench/reference.py).

    python3 bench/compare.py BUILD_DIR --preset P --seq S --batch B --steps N --warmup W [--method lora]
                             [--device cpu|cuda] [--reference NAME=PYTHON ...] [--update-docs]

Runs BUILD_DIR/bin/ftcore bench (it writes a random Llama of the preset, the token rows and its result
BUILD_DIR/bench/ftcore.json), then bench/reference.py on that model and those rows with each reference
venv that bench/setup_reference.sh made (one missing is skipped with a message):
  BUILD_DIR/parity/venv        torch 1.13 + transformers 4.46 + peft 0.13
  BUILD_DIR/bench/venv-newest  the newest torch + transformers 5 + peft 0.2x
--reference NAME=PYTHON (repeatable) names other interpreters instead (a GPU machine's own python3).
--device cuda runs both sides on the GPU; the table then also gives each side's GPU allocator peak, and
the results and the docs block are kept apart from the CPU ones (PRESET-cuda; -bB for a batch other than 1).
Each program runs in its own process, so each peak RSS is its own. Prints a Markdown table (tokens/s,
seconds per step and per phase, peak RSS, load time) and the ratios ftcore/reference; the raw results
stay in BUILD_DIR/bench/PRESET-*.json. --update-docs rewrites the preset's part of docs/benchmarks.md
(between `<!-- bench:compare:PRESET:begin -->` and `<!-- bench:compare:PRESET:end -->`, added if
absent); --report-only makes the report from the saved results without running anything.
Standard library only.
"""
import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(os.path.dirname(HERE), "docs", "benchmarks.md")
SECTION = "## Training throughput against transformers + peft (issue 8)"

PHASES = ("data", "forward", "backward", "optimizer")
LORA_R = 16


def markers(preset):
    """The lines around a preset's comparison in docs/benchmarks.md."""
    return f"<!-- bench:compare:{preset}:begin -->", f"<!-- bench:compare:{preset}:end -->"


def parse_args():
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--preset", required=True)
    parser.add_argument("--seq", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--method", choices=["lora"], default="lora", help="the reference implements LoRA only")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--reference", action="append", default=[], metavar="NAME=PYTHON",
                        help="a reference interpreter (repeatable; default: the venvs of bench/setup_reference.sh)")
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite the preset's comparison in {DOCS}")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: report the results this script saved for the preset last time")
    args = parser.parse_args()
    for item in args.reference:
        if "=" not in item or not item.split("=", 1)[0]:
            parser.error(f"--reference {item}: give NAME=PYTHON")
    # Results and docs block of a preset on a GPU, or of another batch, stay apart from the CPU's at batch 1.
    args.key = args.preset + ("" if args.device == "cpu" else f"-{args.device}") + ("" if args.batch == 1 else f"-b{args.batch}")
    return args


def run(command):
    """Runs command (its output goes to the terminal); exits with a message when it fails."""
    print("+ " + shlex.join(command), file=sys.stderr, flush=True)
    if subprocess.run(command).returncode != 0:
        sys.exit(f"bench/compare.py: failed: {shlex.join(command)}")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def run_ftcore(build, args):
    """`ftcore bench`'s result (BUILD/bench/PRESET-ftcore.json)."""
    out = result_path(build, args.key, "ftcore")
    if args.report_only:
        return read_json(out)
    run([os.path.join(build, "bin", "ftcore"), "bench", "--preset", args.preset, "--seq-len", str(args.seq),
         "--batch-size", str(args.batch), "--steps", str(args.steps), "--warmup", str(args.warmup),
         "--method", args.method, "--lora-r", str(LORA_R), "--precision", "bf16", "--device", args.device,
         "--workdir", os.path.join(build, "bench", "work"), "--report", out])
    return read_json(out)


def result_path(build, preset, side):
    """Where a side's result of a preset is kept: BUILD/bench/PRESET-SIDE.json."""
    return os.path.join(build, "bench", f"{preset}-{side}.json")


def reference_venvs(build, args):
    """(name, python) of each reference stack, in table order: --reference's, else setup_reference.sh's venvs."""
    if args.reference:
        return [tuple(item.split("=", 1)) for item in args.reference]
    return [("torch1.13", os.path.join(build, "parity", "venv", "bin", "python")),
            ("newest", os.path.join(build, "bench", "venv-newest", "bin", "python"))]


def run_reference(build, name, python, ftcore, args):
    """reference.py's result on ftcore's model and token rows with the venv's python
    (BUILD/bench/PRESET-reference-NAME.json)."""
    out = result_path(build, args.key, f"reference-{name}")
    if args.report_only:
        return read_json(out)
    run([python, os.path.join(HERE, "reference.py"), "--model", ftcore["model_dir"], "--tokens", ftcore["tokens_file"],
         "--steps", str(args.steps), "--warmup", str(args.warmup), "--lora-r", str(LORA_R), "--precision", "bf16",
         "--threads", str(ftcore["threads"]), "--device", args.device, "--json", out])
    return read_json(out)


def mib(result, key="peak_rss_bytes"):
    return result[key] / 2**20


def label(result):
    """The table's implementation column."""
    if result["implementation"] == "transformers+peft":
        return f"transformers {result['transformers']} + peft {result['peft']}"
    return f"ftcore {result['ftcore_version']}"


def on_gpu(result):
    return result.get("peak_device_bytes") is not None


def results_table(results):
    """Markdown table of every result (with the GPU allocator's peak for GPU runs)."""
    gpu = all(on_gpu(result) for result in results)
    lines = ["| implementation | torch | tokens/s | step (s) | range (s) | data (s) | forward (s) | backward (s) | optimizer (s) "
             "| peak RSS (MiB) |" + (" peak GPU (MiB) |" if gpu else "") + " load (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if gpu else "")]
    for result in results:
        cells = [label(result), result["torch"], f"{result['tokens_per_second']:.0f}", f"{result['step_seconds']:.4f}",
                 f"{result['step_seconds_min']:.4f}-{result['step_seconds_max']:.4f}"]
        cells += [f"{result['phases'][name]:.4f}" for name in PHASES]
        cells += [f"{mib(result):.0f}"] + ([f"{mib(result, 'peak_device_bytes'):.0f}"] if gpu else [])
        cells += [f"{result['load_seconds']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios_table(ftcore, references):
    """Markdown table of ftcore's tokens/s and peak memory (RSS; on a GPU, the allocator's) against each reference's."""
    key = "peak_device_bytes" if on_gpu(ftcore) and all(on_gpu(ref) for ref in references) else "peak_rss_bytes"
    memory = "peak GPU memory" if key == "peak_device_bytes" else "peak RSS"
    lines = [f"| reference | ftcore tokens/s ÷ reference | ftcore {memory} ÷ reference | reference {memory} ÷ ftcore |",
             "|---|---|---|---|"]
    for ref in references:
        lines.append(f"| {label(ref)}, torch {ref['torch']} | {ftcore['tokens_per_second'] / ref['tokens_per_second']:.2f} "
                     f"| {mib(ftcore, key) / mib(ref, key):.2f} | {mib(ref, key) / mib(ftcore, key):.2f} |")
    return "\n".join(lines)


def ftcore_line(ftcore):
    """ftcore's compute rate, and its share of the machine's matmul peak when `ftcore bench` measured it."""
    line = f"ftcore computes {ftcore['flops_per_second'] / 1e9:.1f} GFLOP/s"
    if ftcore["mfu"] is not None:
        line += (f", {100 * ftcore['mfu']:.1f}% of the machine's measured {ftcore['mfu_reference']} matmul peak "
                 f"(bf16 {ftcore['gemm_peak_bf16'] / 1e9:.1f} GFLOP/s, fp32 {ftcore['gemm_peak_fp32'] / 1e9:.1f} GFLOP/s)")
    return line + "."


def report(args, ftcore, references):
    """The comparison as Markdown: command, machine, versions, workload, tables."""
    command = shlex.join(["python3", "bench/compare.py"] + [a for a in sys.argv[1:] if a != "--report-only"])
    versions = [f"ftcore {ftcore['ftcore_version']} (libtorch {ftcore['torch']})"]
    versions += [f"{label(ref)} on torch {ref['torch']}" for ref in references]
    machine = ftcore["machine"] + (f"; GPU: {ftcore['device_name']}" if on_gpu(ftcore) else "")
    text = [f"`{command}`, {datetime.date.today().isoformat()}, on {machine}.",
            "",
            "Versions: " + "; ".join(versions) + ".",
            "",
            f"Llama preset `{args.preset}`, {args.steps} measured steps after {args.warmup} warm-up, batch "
            f"{args.batch} x {args.seq} tokens, LoRA rank {LORA_R} (alpha {2 * LORA_R}) on every decoder linear "
            f"layer, AdamW lr 2e-4, clip 1.0, bf16; {ftcore['threads']} threads; the reference with "
            f"{' / '.join(sorted({ref['attention'] for ref in references}))} attention. Times are medians over the "
            "measured steps (the step column gives the range); peak RSS is each whole process's high-water mark"
            + ("; peak GPU is the CUDA allocator's peak from after the model was placed on the GPU." if on_gpu(ftcore) else "."),
            "",
            results_table([ftcore] + references)]
    if references:
        text += ["", ratios_table(ftcore, references)]
    text += ["", ftcore_line(ftcore)]
    return "\n".join(text)


def update_docs(path, preset, body):
    """Replaces the preset's block in path with body (appending it, under SECTION, if absent)."""
    begin, end = markers(preset)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    elif SECTION in text:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    args = parse_args()
    build = os.path.abspath(args.build_dir)
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    ftcore = run_ftcore(build, args)
    references = []
    for name, python in reference_venvs(build, args):
        if args.report_only and not os.path.exists(result_path(build, args.key, f"reference-{name}")):
            print(f"bench/compare.py: no saved {name} result for {args.preset}", file=sys.stderr)
            continue
        if not args.report_only and not args.reference and not os.access(python, os.X_OK):
            print(f"bench/compare.py: skipping the {name} reference: no {python} (bash bench/setup_reference.sh "
                  f"{args.build_dir} makes it)", file=sys.stderr)
            continue
        references.append(run_reference(build, name, python, ftcore, args))
    body = report(args, ftcore, references)
    print("\n" + body)
    if args.update_docs:
        update_docs(DOCS, args.key, body)
        print(f"\nbench/compare.py: updated {DOCS}", file=sys.stderr)


if __name__ == "__main__":
    main()
