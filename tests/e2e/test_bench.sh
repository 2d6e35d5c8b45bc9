#!/usr/bin/env bash
# `ftcore bench` on the smallest preset keeps working (CI runs it once): the report's numbers are
# there and consistent (they are printed, not judged), the token file other programs read matches
# the workload, a second run reuses the model, and bad input is refused before anything runs.
# Usage: test_bench.sh BUILD_DIR SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

W="$TMP/work"
expect "the tiny preset runs and prints each measurement" 0 \
  "ftcore bench: llama tiny.*tokens/s +[0-9.]+.*step +[0-9.]+ s \\(median; [0-9.]+-[0-9.]+\\) = data [0-9.]+ \+ forward [0-9.]+ \+ backward [0-9.]+ \+ optimizer [0-9.]+.*peak RSS [0-9.]+ MiB.*MFU [0-9.]+% of the bf16 peak" -- \
  bash -c "'$FTCORE' bench --preset tiny --seq-len 64 --batch-size 2 --steps 3 --warmup 1 --workdir '$W' --report '$TMP/r.json' 2>&1 | tr '\n' ' '"
expect "the JSON report holds the same workload and consistent numbers" 0 "^ok$" -- python3 - "$TMP/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["phases"]
checks = [
    r["implementation"] == "ftcore" and r["preset"] == "tiny" and r["method"] == "lora",
    (r["seq_len"], r["batch_size"], r["steps"], r["warmup"]) == (64, 2, 3, 1),
    r["step_seconds_min"] <= r["step_seconds"] <= r["step_seconds_max"] and all(0 <= v <= r["step_seconds_max"] for v in p.values()),
    abs(r["tokens_per_second"] - 128 / r["step_seconds"]) < 1e-6 * r["tokens_per_second"],
    r["flops_per_second"] > 0 and abs(r["flops_per_second"] * r["step_seconds"] - r["flops_per_step"]) < 1e-6 * r["flops_per_step"],
    0 < r["mfu"] == r["flops_per_second"] / r["gemm_peak_bf16"],
    r["peak_rss_bytes"] > r["weights_bytes"] > r["grads_bytes"] > 0,
    r["optimizer_bytes"] == 2 * r["grads_bytes"],  # AdamW's two fp32 moments per fp32 adapter weight
    r["trainable_parameters"] * 4 == r["grads_bytes"],
    r["load_seconds"] > 0 and r["read_seconds"] > 0,
    len(r["losses"]) == 4,
]
print("ok" if all(checks) else "failed checks: %s" % [i for i, c in enumerate(checks) if not c])
PY
expect "the token file holds one row of seq-len ids per sequence of every step" 0 "^ok$" -- python3 - "$TMP/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = json.load(open(r["tokens_file"]))
vocab = json.load(open(r["model_dir"] + "/config.json"))["vocab_size"]
rows = t["rows"]
ok = (t["seq_len"], t["batch_size"], len(rows)) == (64, 2, 8) and all(len(x) == 64 and 0 <= min(x) and max(x) < vocab for x in rows)
print("ok" if ok else "bad token file")
PY
expect "a second run reuses the model and can skip the matmul peak" 0 "tokens/s" -- \
  bash -c "'$FTCORE' bench --preset tiny --seq-len 32 --steps 1 --warmup 0 --workdir '$W' --gemm-peak false --method full 2>&1 | grep -v 'making the'"
expect "without --gemm-peak there is no MFU" 0 "compute +[0-9.]+ GFLOP/s \([0-9.e+]+ FLOP per step\)$" -- \
  bash -c "'$FTCORE' bench --preset tiny --seq-len 32 --steps 1 --warmup 0 --workdir '$W' --gemm-peak false 2>&1"

expect "--seq-len 1 is refused" 2 "--seq-len 1: a sequence needs at least 2 tokens" -- \
  "$FTCORE" bench --preset tiny --seq-len 1 --workdir "$W"
expect "--steps 0 is refused" 2 "--steps 0: measure at least 1 step" -- "$FTCORE" bench --preset tiny --steps 0 --workdir "$W"
expect "--warmup -1 is refused" 2 "--warmup -1: must be 0 or more" -- "$FTCORE" bench --preset tiny --warmup -1 --workdir "$W"
mkdir -p "$TMP/mine/llama-small" && echo "my notes" > "$TMP/mine/llama-small/notes.txt"
expect "a folder of the model's name that is not a bench model is left alone" 2 \
  "llama-small exists but holds no bench model \(config.json and model.safetensors\); move it away or pass another --workdir" -- \
  "$FTCORE" bench --preset small --workdir "$TMP/mine"
expect "... and its file is still there" 0 "^my notes$" -- cat "$TMP/mine/llama-small/notes.txt"
expect "the run's logs are removed after the report; the model and token file stay" 0 "^llama-tiny tokens-tiny-s32-b1-n1.json tokens-tiny-s64-b2-n4.json $" -- \
  bash -c "ls '$W' | tr '\n' ' '"
expect "a report that cannot be written is an error after the numbers are printed" 1 \
  "tokens/s.*$TMP/no/such/dir/r.json: cannot write the report" -- \
  bash -c "'$FTCORE' bench --preset tiny --seq-len 32 --steps 1 --warmup 0 --workdir '$W' --gemm-peak false --report '$TMP/no/such/dir/r.json' 2>&1 | tr '\n' ' '; exit \${PIPESTATUS[0]}"
expect "an unknown preset names the presets" 2 "preset.*huge" -- "$FTCORE" bench --preset huge --workdir "$W"
expect "an unknown method names the installed ones" 2 "--method 'lorra': no such training method \(did you mean 'lora'\?\)" -- \
  "$FTCORE" bench --preset tiny --method lorra --workdir "$W"
expect "a sequence longer than the model's positions is refused" 2 "--seq-len 9999 is longer than the model's 2048" -- \
  "$FTCORE" bench --preset tiny --seq-len 9999 --workdir "$W"
expect "run-only options are not bench options" 2 "--data" -- "$FTCORE" bench --preset tiny --data x.jsonl --workdir "$W"
finish
