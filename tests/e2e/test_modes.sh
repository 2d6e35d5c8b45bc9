#!/usr/bin/env bash
# End-to-end checks of the training modes and the monitoring on a tiny model: each mode's pace,
# circular's growing batch and perfect-loss stop, early stop on a run built to overfit with the best
# checkpoint restored, force-epochs running every epoch although validation worsens, adaptive's
# changes, non-stop ended by Ctrl-C, contradictory combinations, the status lines, the progress bar,
# JSON logs, TensorBoard launching (a stand-in program) and the loss plot.
# Usage: test_modes.sh BUILD_DIR SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

D="$SRC/examples/data"
M="$TMP/model"
"$FTCORE" init-model --family llama --output "$M" --tokenizer-data "$D/alpaca.json,$D/sharegpt.jsonl" --log-level warn
QUICK=(--lora-r 4 --batch-size 2 --grad-accum 1 --logging-steps 1)

# metric FILE KEY: the values of KEY in metrics.jsonl, space-separated.
metric() {
  python3 -c 'import json,sys; print(" ".join(str(json.loads(l)[sys.argv[2]]) for l in open(sys.argv[1]) if sys.argv[2] in l))' \
    "$1/logs/training/metrics.jsonl" "$2"
}
export -f metric

# ---- paces ------------------------------------------------------------------------------------------
expect "medium is the default: 3 epochs, two evaluations per epoch, a status line each" 0 \
  "modes: medium \(instruction task, from the data\).*(Evaluation #[1-6] \| Time [0-9:]{8} \| Train loss [0-9.]+ \| Val loss [0-9.]+ \| Best val [0-9.]+ \| Patience [0-9]+ .*){6}finished at step 15 \(epoch 3.00\)" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/medium' ${QUICK[*]} --auto-stop false 2>&1 | tr '\n' ' '"
expect "slow: 5 epochs at half the learning rate, one evaluation per epoch" 0 \
  "slow: 5 epoch\(s\), learning rate x0.5, 1 evaluation\(s\) per epoch.*Evaluation #5 \| .*finished at step 25 \(epoch 5.00\)" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/slow' ${QUICK[*]} --mode slow --auto-stop false --lr-scheduler constant --warmup-ratio 0 2>&1 | tr '\n' ' '"
expect "slow's learning rate is the method's x0.5" 0 "^(0.0001 )+$" -- bash -c "echo \"\$(metric '$TMP/slow' train/learning_rate) \""
expect "fast: 1 epoch at twice the learning rate, four evaluations" 0 \
  "fast: 1 epoch\(s\), learning rate x2, 4 evaluation\(s\) per epoch.*Evaluation #4 \| .*finished at step 5 \(epoch 1.00\)" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/fast' ${QUICK[*]} --mode fast --auto-stop false --lr-scheduler constant --warmup-ratio 0 2>&1 | tr '\n' ' '"
expect "fast's learning rate is the method's x2" 0 "^(0.0004 )+$" -- bash -c "echo \"\$(metric '$TMP/fast' train/learning_rate) \""
expect "a learning rate the user gives is not scaled" 0 "the modes scale the learning rate x2, but --learning-rate 0.001 was given" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/fast-lr" "${QUICK[@]}" --mode fast --learning-rate 1e-3 --max-steps 1

# ---- contradictions ------------------------------------------------------------------------------------
expect "two paces are refused with the reason" 2 "modes 'slow' and 'fast' cannot run together: both set the epochs and the learning rate" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --mode slow,fast
expect "non-stop with force-epochs is refused" 2 "modes 'non-stop' and 'force-epochs' cannot run together: non-stop has no epoch count to force" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --mode non-stop --force-epochs
expect "circular with --epochs is refused" 2 "--epochs 5: mode 'circular' sets the number of epochs itself \(100\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --circular --epochs 5
expect "an unknown mode names the installed ones" 2 "no training mode 'circulr' \(did you mean 'circular'\?\); installed: adaptive, circular, early-stop, fast" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --mode circulr
expect "a negative --patience names the option and the mode" 2 "--patience -1: must be at least 0 \(mode 'early-stop'\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --patience -1
expect "--circular-batch-growth below 1" 2 "--circular-batch-growth 0.5: must be a number of at least 1 \(mode 'circular'\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --circular --circular-batch-growth 0.5
expect "--tensorboard-port outside 1-65535" 2 "--tensorboard-port 0: a port is 1-65535" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --tensorboard-port 0
expect "--progress takes auto, bar or plain" 2 "--progress: expected one of auto, bar, plain, got 'fancy'" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --progress fancy
expect "nothing was written by the refusals" 0 "^absent$" -- bash -c "test -e '$TMP/bad' || echo absent"

# ---- circular ----------------------------------------------------------------------------------------------
expect "circular grows the batch and stops at perfect loss" 0 \
  "circular: up to 100 cycles.*stopped at step [0-9]+: early-stop: perfect loss: training loss [0-9.]+ is at or below 4.5000" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/circular' --method full --learning-rate 1e-2 \
    --batch-size 2 --grad-accum 1 --logging-steps 1 --circular --validation-split 0 --perfect-loss 4.5 2>&1 | tr '\n' ' '"
expect "circular's effective batch grew" 0 "^grew$" -- \
  python3 -c 'import sys; b=[int(x) for x in sys.argv[1].split()]; print("grew" if b[0] == 2 and max(b) > 2 and b == sorted(b) else b)' \
  "$(metric "$TMP/circular" train/effective_batch)"
expect "circular stopped before its cycles ran out" 0 "^early$" -- \
  python3 -c 'import sys; e=[float(x) for x in sys.argv[1].split()]; print("early" if 2 < e[-1] < 100 else e[-1])' \
  "$(metric "$TMP/circular" epoch)"

# ---- early stop and force-epochs on a run built to overfit ---------------------------------------------------
# Full fine-tuning at a high learning rate on 70% of alpaca.json: the held-out 30% gets worse after step 8.
OVERFIT=(--method full --learning-rate 1e-2 --batch-size 2 --grad-accum 1 --validation-split 0.3 --epochs 8 --logging-steps 100)
expect "early stop: stops on the overfitting rule, says why, where and the best validation loss" 0 \
  "stopped at step 10: early-stop: overfitting: validation loss [0-9.]+ is [0-9]+% above the training loss [0-9.]+ \(--overfitting-threshold 10%\) and no longer improving; best validation loss [0-9.]+ at step 8 \(restored\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/early" "${OVERFIT[@]}"
expect "and the output is the best checkpoint's weights" 0 "^best$" -- \
  bash -c "cmp -s '$TMP/early/full/model.safetensors' <(python3 - '$TMP/early' <<'PY'
import json, sys
print(json.load(open(sys.argv[1] + '/full/training_info.json'))['restored_best_step'])
PY
) ; python3 -c '
import json, sys
info = json.load(open(sys.argv[1] + \"/full/training_info.json\"))
best = json.load(open(sys.argv[1] + \"/checkpoints/best/trainer_state.json\"))[\"step\"]
print(\"best\" if info[\"restored_best_step\"] == best == 8 and info[\"steps\"] == 10 else info)' '$TMP/early'"
expect "--patience: the user's value wins over the task's" 0 \
  "patience 1 evaluations.*stopped at step 10: early-stop: no improvement: the validation loss has not beaten [0-9.]+ for 1 evaluations \(--patience 1\)" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/patience' ${OVERFIT[*]} --patience 1 2>&1 | tr '\n' ' '"
expect "force-epochs runs every epoch although validation worsens, and reports the stops it ignores" 0 \
  "early-stop would stop here \(overfitting: .*, but auto-stop is off: going on.*finished at step 32 \(epoch 8.00\); best validation loss [0-9.]+ at step 8 \(restored\)" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/forced' ${OVERFIT[*]} --force-epochs 2>&1 | tr '\n' ' '"
expect "--mode fast --force-epochs: one whole epoch" 0 "finished at step 5 \(epoch 1.00\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/fast-forced" "${OVERFIT[@]:0:8}" --mode fast --force-epochs

# ---- adaptive --------------------------------------------------------------------------------------------
expect "adaptive explains each change: a flat loss doubles the batch" 0 \
  "adaptive: training loss [0-9.]+ over the last 2 evaluations is less than 1% below [0-9.]+ before them: doubling the effective batch \(now x2\); the run now has [0-9]+ steps" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/adaptive" "${QUICK[@]}" --mode adaptive --learning-rate 1e-7 \
  --validation-split 0 --eval-steps 1 --epochs 3
expect "and the batch did double" 0 "^doubled$" -- \
  python3 -c 'import sys; b=[int(x) for x in sys.argv[1].split()]; print("doubled" if b[0] == 2 and 4 in b else b)' \
  "$(metric "$TMP/adaptive" train/effective_batch)"

# ---- non-stop --------------------------------------------------------------------------------------------
"$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/nonstop" "${QUICK[@]}" --mode non-stop --warmup-steps 0 >"$TMP/nonstop.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ "$(cat "$TMP/nonstop/logs/training/metrics.jsonl" 2>/dev/null | grep -c train/loss)" -ge 30 ] && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
expect "non-stop runs past the default 3 epochs until Ctrl-C, then ends cleanly with its outputs" 0 \
  "training: no step limit \(Ctrl-C ends the run\).*interrupted at step [0-9]+ \(non-stop mode ends so\).*nonstop/lora" -- \
  bash -c "tr '\n' ' ' < '$TMP/nonstop.log'; exit $rc"
expect "non-stop wrote the adapter and a checkpoint to go on from" 0 "trainer_state.json.*adapter_model.safetensors" -- \
  bash -c "ls '$TMP/nonstop/lora' '$TMP/nonstop/checkpoints/last' | tr '\n' ' '"
expect "non-stop's learning rate is the method's x0.3, constant" 0 "^(6e-05 )+$" -- \
  bash -c "echo \"\$(metric '$TMP/nonstop' train/learning_rate) \""

# ---- monitoring ------------------------------------------------------------------------------------------
expect "--log-format json: one JSON object per line, with step and evaluation events" 0 "^json ok$" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/json' ${QUICK[*]} --max-steps 4 --log-format json 2>&1 >/dev/null | python3 -c '
import json, sys
events = [json.loads(line) for line in sys.stdin]
steps = [e for e in events if e.get(\"event\") == \"step\"]
evals = [e for e in events if e.get(\"event\") == \"evaluation\"]
ok = len(steps) == 4 and steps[0][\"train/loss\"] > 0 and evals and evals[0][\"message\"].startswith(\"Evaluation #1 | Time \")
print(\"json ok\" if ok else events)'"
expect "--progress bar draws a bar with steps, speed and ETA" 0 "\] 3/4 steps \| epoch [0-9.]+ \| loss [0-9.]+ \| [0-9]+ tok/s \| 00:00:[0-9]{2} < 00:00:[0-9]{2}" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/bar' ${QUICK[*]} --max-steps 4 --progress bar 2>&1 | tr '\r' '\n'"
expect "text-generation data: its thresholds and perplexity in the status line" 0 \
  "modes: medium, early-stop \(text-generation task, from the data\).*patience 5 evaluations, overfitting threshold 20%, perfect loss 0.5000.*Patience [0-9]+ \| Perplexity [0-9.]+" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/text.txt' --output '$TMP/textgen' ${QUICK[*]} --max-steps 4 2>&1 | tr '\n' ' '"
expect "the TensorBoard tags of a run" 0 "^eval/loss eval/perplexity train/effective_batch train/grad_norm train/learning_rate train/loss train/perplexity train/tokens_per_second $" -- \
  bash -c "python3 -c '
import json
keys = set()
for line in open(\"$TMP/json/logs/training/metrics.jsonl\"): keys |= set(json.loads(line)) - {\"step\", \"epoch\"}
print(\" \".join(sorted(keys)), end=\" \")'"
expect "training_history.png is a PNG of the plot's size" 0 "^PNG 1200x[0-9]+$" -- \
  python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("PNG %dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else d)' \
  "$TMP/json/training_history.png"
expect "--no-tensorboard writes no event files" 0 "^metrics.jsonl$" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/noevents' ${QUICK[*]} --max-steps 1 --no-tensorboard >/dev/null 2>&1; ls '$TMP/noevents/logs/training'"

# A stand-in for the tensorboard program: records its arguments, says when it is stopped.
cat >"$TMP/fake-tensorboard" <<'SH'
#!/usr/bin/env bash
echo "$@" > "$FAKE_TB_OUT"
trap 'echo stopped >> "$FAKE_TB_OUT"; exit 0' TERM
[ -n "$FAKE_TB_SERVE" ] && { sleep 60 & wait; }
exit 0
SH
chmod +x "$TMP/fake-tensorboard"
export FTCORE_TENSORBOARD="$TMP/fake-tensorboard" FAKE_TB_OUT="$TMP/tb-args"
expect "--tensorboard starts TensorBoard on the logs beside the run, on loopback" 0 "TensorBoard: http://127.0.0.1:6123/ \(pid [0-9]+.*TensorBoard stopped; serve the logs again with: ftcore run --tensorboard-only --output" -- \
  bash -c "FAKE_TB_SERVE=1 '$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/tb' ${QUICK[*]} --max-steps 2 --tensorboard --tensorboard-port 6123 2>&1 | tr '\n' ' '"
expect "with --logdir, --host 127.0.0.1 (not --bind_all) and --port, and stops it at the end" 0 "^--logdir $TMP/tb/logs --host 127.0.0.1 --port 6123 stopped $" -- \
  bash -c "tr '\n' ' ' < '$TMP/tb-args'"
expect "--tensorboard-only PORT serves existing logs" 0 "^--logdir $TMP/tb/logs --host 127.0.0.1 --port 6200$" -- \
  bash -c "'$FTCORE' run --tensorboard-only 6200 --output '$TMP/tb' >/dev/null && cat '$TMP/tb-args'"
expect "--tensorboard-host chooses another address" 0 "^--logdir $TMP/tb/logs --host 0.0.0.0 --port 6201$" -- \
  bash -c "'$FTCORE' run --tensorboard-only 6201 --tensorboard-host 0.0.0.0 --output '$TMP/tb' >/dev/null && cat '$TMP/tb-args'"
expect "--tensorboard-only without logs" 2 "--tensorboard-only: no training logs in .*nothing/logs/training; train into" -- \
  "$FTCORE" run --tensorboard-only --output "$TMP/nothing"
expect "--tensorboard-only with a bad port" 2 "--tensorboard-only 70000: a port is 1-65535" -- \
  "$FTCORE" run --tensorboard-only 70000 --output "$TMP/tb"
expect "--tensorboard-only without TensorBoard installed says how to get it" 1 "TensorBoard is not installed .*pip install tensorboard" -- \
  env FTCORE_TENSORBOARD="$TMP/none" "$FTCORE" run --tensorboard-only --output "$TMP/tb"
expect "--tensorboard without TensorBoard installed warns and trains" 0 "--tensorboard: TensorBoard is not installed.*trained 1 steps" -- \
  bash -c "FTCORE_TENSORBOARD='$TMP/none' '$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/tb-none' ${QUICK[*]} --max-steps 1 --tensorboard 2>&1 | tr '\n' ' '"
expect "--tensorboard with --no-tensorboard is refused" 2 "--tensorboard shows the event files that --no-tensorboard" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad2" --tensorboard --no-tensorboard
unset FTCORE_TENSORBOARD

finish
