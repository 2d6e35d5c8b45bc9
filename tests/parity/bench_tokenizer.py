#!/usr/bin/env python3
"""Encode throughput: ftcore's tokenizer vs the pinned `tokenizers`, single thread, same run.

Usage: bench_tokenizer.py --bench BUILD_DIR/bin/bench_tokenizer --models MODELS_DIR --corpus CORPUS.json
                          [--mb 10] [--repeats 3] [--json OUT.json]

For each tokenizer (MODELS_DIR/<name>/models/tokenizer.json) the corpus is replicated to about
--mb megabytes and encoded with add_special_tokens=True, best of --repeats. `tokenizers` is timed
two ways, both on one thread (RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false):
  encode_batch: one call for the whole list (pure Rust loop; the fair comparison),
  encode loop:  one Python call per string (what a Python training script pays).
The C++ side is the bench_tokenizer program (ftcore::tok::Tokenizer::encode per string).
Prints MB/s, tokens/s and the ratio ftcore / tokenizers.
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["RAYON_RS_NUM_CPUS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

MODELS = ["llama2", "llama3", "qwen3", "gemma3"]


def replicate(base, mb):
    base_bytes = sum(len(s.encode("utf-8")) for s in base)
    corpus, total = [], 0
    while total < mb * 1e6:
        corpus.extend(base)
        total += base_bytes
    return corpus, total


def bench_reference(path, base, mb, repeats):
    t0 = time.perf_counter()
    tok = Tokenizer.from_file(path)
    load_s = time.perf_counter() - t0
    corpus, total = replicate(base, mb)
    tok.encode_batch(base, add_special_tokens=True)  # warm-up
    best_batch, best_loop, tokens = float("inf"), float("inf"), 0
    for _ in range(repeats):
        t = time.perf_counter()
        encs = tok.encode_batch(corpus, add_special_tokens=True)
        best_batch = min(best_batch, time.perf_counter() - t)
        tokens = sum(len(e.ids) for e in encs)
        del encs
        t = time.perf_counter()
        for s in corpus:
            tok.encode(s, add_special_tokens=True)
        best_loop = min(best_loop, time.perf_counter() - t)
    return {"load_s": load_s, "bytes": total, "strings": len(corpus), "tokens": tokens,
            "batch_s": best_batch, "loop_s": best_loop}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", required=True, help="the bench_tokenizer program")
    parser.add_argument("--models", required=True, help="folder with <name>/models/tokenizer.json")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the numbers here")
    parser.add_argument("--only", nargs="*", default=MODELS)
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        base = json.load(f)
    rows = {}
    print(f"tokenizer throughput, single thread, corpus replicated to ~{args.mb:g} MB, "
          f"add_special_tokens=True, best of {args.repeats} (reference: tokenizers {tokenizers.__version__})")
    header = (f"{'tokenizer':<9} {'impl':<26} {'load s':>7} {'MB/s':>8} {'Mtok/s':>8} {'ratio':>7}")
    print(header)
    print("-" * len(header))
    for name in args.only:
        path = os.path.join(args.models, name, "models", "tokenizer.json")
        ref = bench_reference(path, base, args.mb, args.repeats)
        proc = subprocess.run([args.bench, path, args.corpus, str(args.mb), str(args.repeats)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"bench_tokenizer failed for {name}: {proc.stderr.strip()}")
        ours = json.loads(proc.stdout.strip().splitlines()[-1])
        mb = ref["bytes"] / 1e6
        ref_batch = mb / ref["batch_s"]
        ref_loop = mb / ref["loop_s"]
        ours_mb = ours["mb_per_s"]
        rows[name] = {"ftcore": ours, "tokenizers": ref,
                      "ratio_vs_encode_batch": ours_mb / ref_batch, "ratio_vs_encode_loop": ours_mb / ref_loop}
        print(f"{name:<9} {'ftcore encode':<26} {ours['load_s']:>7.2f} {ours_mb:>8.2f} "
              f"{ours['tokens_per_s'] / 1e6:>8.3f} {'':>7}")
        print(f"{'':<9} {'tokenizers encode_batch':<26} {ref['load_s']:>7.2f} {ref_batch:>8.2f} "
              f"{ref['tokens'] / ref['batch_s'] / 1e6:>8.3f} {ours_mb / ref_batch:>6.2f}x")
        print(f"{'':<9} {'tokenizers encode (loop)':<26} {'':>7} {ref_loop:>8.2f} "
              f"{ref['tokens'] / ref['loop_s'] / 1e6:>8.3f} {ours_mb / ref_loop:>6.2f}x")
        if ours["tokens"] != ref["tokens"]:
            print(f"{'':<9} note: token counts differ (ftcore {ours['tokens']}, tokenizers {ref['tokens']}): "
                  "the outputs are not identical, see the parity test")
    print("ratio = ftcore MB/s / tokenizers MB/s (above 1: ftcore is faster)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
