#!/usr/bin/env bash
# Issue 28, through the binary: hostile files a downloaded model or dataset may hold (FIFOs, huge or
# broken records, a config.json larger than its weights, hostile chat templates and tokenizer.json),
# options that divided by zero or hung, the plugin trust list, --overwrite that must keep what is not
# ftcore's and the earlier results until the new ones are complete, and the output directory's lock.
# Every hostile case must end with exit 2 and its message, within `timeout` (a hang fails).
# Usage: test_security.sh BUILD_DIR SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

D="$SRC/examples/data"
M="$TMP/model"
"$FTCORE" init-model --family llama --output "$M" --tokenizer-data "$D/alpaca.json" --log-level warn
QUICK=(--lora-r 4 --batch-size 2 --grad-accum 1 --logging-steps 1 --log-level warn)
ON=(timeout 120 "$FTCORE" run --model "$M" "${QUICK[@]}" --data)  # ON FILE ...: a run on that data
RUN=("${ON[@]}" "$D/alpaca.json")
absent() { [ -e "$1" ] && echo "there: $(ls -A "$1" | tr '\n' ' ')" || echo absent; }

# ---- options that divided by zero, hung or were ignored (nothing is written) -------------------------
expect "--save-steps 0" 2 "--save-steps 0: must be at least 1; leave it out to save at each evaluation" -- \
  "${RUN[@]}" --output "$TMP/o1" --save-steps 0
expect "--eval-steps 0" 2 "--eval-steps 0: must be at least 1" -- "${RUN[@]}" --output "$TMP/o1" --eval-steps 0
expect "--save-total-limit 0" 2 "--save-total-limit 0: must be at least 1" -- "${RUN[@]}" --output "$TMP/o1" --save-total-limit 0
expect "--save-total-limit -1" 2 "--save-total-limit -1: must be at least 1" -- "${RUN[@]}" --output "$TMP/o1" --save-total-limit -1
expect "and no output folder is left to block the rerun" 0 "^absent$" -- absent "$TMP/o1"
expect "--threads 100000" 2 "--threads 100000: must be 1-65536" -- "${RUN[@]}" --output "$TMP/o1" --threads 100000
expect "--threads above the CPUs" 2 "--threads 4096: this process may run on [0-9]+ CPUs? \(at most" -- \
  "${RUN[@]}" --output "$TMP/o1" --threads 4096
expect "--nproc 100000" 2 "--nproc 100000: this machine lets ftcore run on [0-9]+ CPUs?, and each worker on the CPU needs one" -- \
  "${RUN[@]}" --output "$TMP/o1" --nproc 100000
expect "--nproc above the CPUs" 2 "--nproc 4000: this machine lets ftcore run on [0-9]+ CPUs?, and each worker on the CPU needs one" -- \
  "${RUN[@]}" --output "$TMP/o1" --nproc 4000
expect "still nothing written" 0 "^absent$" -- absent "$TMP/o1"

# ---- FIFOs in place of files: refused, never waited for --------------------------------------------
mkfifo "$TMP/fifo.jsonl"
expect "a FIFO as the data" 2 "fifo.jsonl: cannot read the data file: not a regular file but a FIFO \(named pipe\)" -- \
  timeout 60 "$FTCORE" run --model "$M" --data "$TMP/fifo.jsonl" --output "$TMP/o2" "${QUICK[@]}"
expect "a FIFO as --config" 2 "cannot read the config file: not a regular file but a FIFO" -- \
  timeout 60 "$FTCORE" run --model "$M" --data "$D/alpaca.json" --config "$TMP/fifo.jsonl" --output "$TMP/o2"
for file in model.safetensors tokenizer.json tokenizer_config.json config.json; do
  cp -r "$M" "$TMP/m-$file"
  rm "$TMP/m-$file/$file"
  mkfifo "$TMP/m-$file/$file"
  expect "a FIFO as $file" 2 "$file: cannot read the .*: not a regular file but a FIFO \(named pipe\)" -- \
    timeout 60 "$FTCORE" run --model "$TMP/m-$file" --data "$D/alpaca.json" --output "$TMP/o2" "${QUICK[@]}"
done

# ---- records that aborted the run, and one huge record ------------------------------------------------
printf '{"instruction": "a", "output": "b"}\n{"instruction": "x", "output": 1e999}\n{"instruction": "c", "output": "d"}\n' \
  >"$TMP/overflow.jsonl"
expect "a number beyond a double is an invalid record with its line" 2 "overflow.jsonl:2:1: invalid JSON: number overflow parsing '1e999'" -- \
  "${ON[@]}" "$TMP/overflow.jsonl" --output "$TMP/o3"
expect "which --skip-invalid skips" 0 "trained 1 steps" -- \
  "${ON[@]}" "$TMP/overflow.jsonl" --output "$TMP/o3" --skip-invalid --max-steps 1 --validation-split 0
printf 'a fine line\nbad \xff byte\nanother fine line\n' >"$TMP/latin1.txt"
expect "a .txt line that is not UTF-8 is an invalid record with its line" 2 "latin1.txt:2:5: not UTF-8 text \(byte 0xff here\)" -- \
  "${ON[@]}" "$TMP/latin1.txt" --output "$TMP/o4"
python3 -c 'import json; print(json.dumps({"text": "All work and no play makes a dull model. " * 1250000}))' >"$TMP/huge.jsonl"
expect "one 50 MB record trains in bounded memory (cut before tokenizing)" 0 "^peak [0-9]+ MB, under 1500 MB; trained 1 steps" -- \
  python3 -c '
import resource, subprocess, sys
out = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print("peak %d MB, %s 1500 MB; %s" % (peak, "under" if peak < 1500 else "OVER", out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-300:]))
sys.exit(out.returncode)' "$FTCORE" run --model "$M" --data "$TMP/huge.jsonl" --output "$TMP/o5" --max-length 64 --max-steps 1 \
  --validation-split 0 "${QUICK[@]}"

# ---- a config.json larger than its weights ----------------------------------------------------------
cp -r "$M" "$TMP/m-layers"
python3 - "$TMP/m-layers/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["num_hidden_layers"] = 1000000000; json.dump(c, open(sys.argv[1], "w"))
PY
expect "num_hidden_layers 1e9 is refused before anything is built" 2 "config.json describes a network of about .* \(num_layers 1000000000, .*check that config.json belongs to these weights" -- \
  timeout 60 "$FTCORE" run --model "$TMP/m-layers" --data "$D/alpaca.json" --output "$TMP/o6" "${QUICK[@]}"

# ---- hostile chat templates and tokenizer.json -------------------------------------------------------
template_model() {  # template_model NAME TEMPLATE: a copy of the model with this chat template
  cp -r "$M" "$TMP/t-$1"
  python3 - "$TMP/t-$1/tokenizer_config.json" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["chat_template"] = sys.argv[2]; json.dump(c, open(sys.argv[1], "w"))
PY
}
template_model fpe "{{ (-9223372036854775807-1) // -1 }}"
template_model repeat "{% for m in messages %}{{ 'a' * 10**9 }}{% endfor %}"
template_model loop "{% for i in range(10**9) %}{{ i }}{% endfor %}"
template_model deep "$(python3 -c 'print("{{ " + "(" * 10000 + "1" + ")" * 10000 + " }}")')"
for name in fpe repeat loop; do
  expect "template '$name' makes the records invalid, with a clear error" 2 "the chat template refuses this conversation: .*: .*(overflow|too|limit|Range)" -- \
    timeout 120 "$FTCORE" run --model "$TMP/t-$name" --data "$D/sharegpt.jsonl" --output "$TMP/o7-$name" "${QUICK[@]}"
done
expect "template nested 10000 deep is refused when it is read" 2 "the chat template: .*(nest|deep|depth)" -- \
  timeout 120 "$FTCORE" run --model "$TMP/t-deep" --data "$D/sharegpt.jsonl" --output "$TMP/o7-deep" "${QUICK[@]}"
cp -r "$M" "$TMP/m-tok"
python3 - "$TMP/m-tok/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["normalizer"] = "NESTED"  # written by hand below: Python's json cannot write 20000 levels
deep = '{"type": "Sequence", "normalizers": [' * 20000 + '{"type": "Lowercase"}' + ']}' * 20000
open(sys.argv[1], "w").write(json.dumps(t).replace('"NESTED"', deep))
PY
expect "a tokenizer.json Sequence nested 20000 deep is refused" 2 "tokenizer.json.*(deep|nest|depth)" -- \
  timeout 120 "$FTCORE" tokenize --model "$TMP/m-tok" --input "$D/text.txt"

# ---- the plugin trust list --------------------------------------------------------------------------
printf '# mine\nnot a hash line\n' >"$FTCORE_TRUST_FILE"
expect "a malformed trust-list line is ignored with a warning, and commands with --model work" 0 "trusted-plugins:2: ignored" -- \
  "$FTCORE" tokenize --model "$M" --input "$D/text.txt"
rm -f "$FTCORE_TRUST_FILE"

# ---- --overwrite removes only what ftcore wrote, and only once the new results are complete ---------
"${RUN[@]}" --output "$TMP/ow" --max-steps 2 >/dev/null 2>&1
cp "$TMP/ow/lora/adapter_model.safetensors" "$TMP/earlier-adapter"
echo "my notes" >"$TMP/ow/lora/notes.txt"
expect "--overwrite refuses to delete a file of the user's in lora/" 2 "ow/lora/notes.txt in .* were not written by it" -- \
  "${RUN[@]}" --output "$TMP/ow" --max-steps 2 --overwrite
expect "which is still there" 0 "^my notes$" -- cat "$TMP/ow/lora/notes.txt"
rm "$TMP/ow/lora/notes.txt"
"$FTCORE" run --model "$M" --data "$D/alpaca.json" "${QUICK[@]}" --output "$TMP/ow" --max-steps 100000 --save-steps 1 \
  --overwrite >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ -d "$TMP/ow/.ftcore/previous/checkpoints" ] && [ -d "$TMP/ow/checkpoints/checkpoint-2" ] && break
  sleep 0.05
done
expect "while an --overwrite run trains, a second run is refused with the holder named" 2 "ow is in use by another run \(pid $pid on .*running: ftcore run" -- \
  "${RUN[@]}" --output "$TMP/ow" --max-steps 2 --resume
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect "an --overwrite run killed mid-way leaves the earlier adapter in place" 0 "^same$" -- \
  bash -c "cmp -s '$TMP/ow/lora/adapter_model.safetensors' '$TMP/earlier-adapter' && echo same"
expect "and the earlier run's checkpoints in .ftcore/previous" 0 "checkpoint-2" -- ls "$TMP/ow/.ftcore/previous/checkpoints"
expect "a plain run says what is there" 2 "an --overwrite run there did not finish, and the results it was replacing are in" -- \
  "${RUN[@]}" --output "$TMP/ow" --max-steps 2
expect "--overwrite again completes" 0 "trained 3 steps" -- "${RUN[@]}" --output "$TMP/ow" --max-steps 3 --overwrite
expect "and only then are the earlier results gone" 0 "^absent$" -- absent "$TMP/ow/.ftcore/previous"
expect "the new adapter replaced the earlier one" 0 "^differs$" -- \
  bash -c "cmp -s '$TMP/ow/lora/adapter_model.safetensors' '$TMP/earlier-adapter' || echo differs"

cp -r "$M" "$TMP/m-logs"
mkdir -p "$TMP/m-logs/logs"
echo "the model's own log" >"$TMP/m-logs/logs/server.log"
expect "a model directory's own logs/ is not a run's output" 0 "trained 1 steps" -- \
  timeout 120 "$FTCORE" run --model "$TMP/m-logs" --data "$D/alpaca.json" --max-steps 1 "${QUICK[@]}"
expect "--overwrite in the model directory keeps it" 0 "trained 1 steps" -- \
  timeout 120 "$FTCORE" run --model "$TMP/m-logs" --data "$D/alpaca.json" --max-steps 1 --overwrite "${QUICK[@]}"
expect "and the model's log is untouched" 0 "^the model's own log$" -- cat "$TMP/m-logs/logs/server.log"

finish
