#!/usr/bin/env bash
# Crash consistency (issue 28): runs that save and prune a checkpoint at every step are killed with
# SIGKILL, at random moments and at each named point of the save (FTCORE_CRASH_AT), TRIALS times in
# all. After each kill every checkpoint folder that is there must be whole (tests/e2e/check_outputs.py),
# and `--resume` (or a new run when nothing was saved yet) must end with the losses of a run that was
# never killed.
# Usage: test_crash.sh BUILD_DIR SOURCE_DIR [TRIALS]
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"
TRIALS="${3:-50}"

losses() { python3 -c 'import json,sys; [print(json.loads(l)["train/loss"]) for l in open(sys.argv[1]) if "train/loss" in l]' "$1"; }

D="$SRC/examples/data"
M="$TMP/model"
"$FTCORE" init-model --family llama --output "$M" --tokenizer-data "$D/alpaca.json" --log-level warn
# Every step saves a checkpoint (the best of them is best/) and prunes all but two.
RUN=(run --model "$M" --data "$D/alpaca.json" --lora-r 4 --batch-size 2 --grad-accum 1 --logging-steps 1 --save-steps 1
  --save-total-limit 2 --eval-steps 2 --max-steps 12 --learning-rate 2e-3 --log-level warn --threads 1)

start=$(date +%s.%N)
"$FTCORE" "${RUN[@]}" --output "$TMP/reference" >/dev/null 2>&1
seconds=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
losses "$TMP/reference/logs/training/metrics.jsonl" >"$TMP/reference.losses"
expect "the reference run logs 12 losses" 0 "^12$" -- bash -c "wc -l < '$TMP/reference.losses'"

# The named points of a save, and the how-many-th time each is reached.
POINTS=(staged exchanged checkpoint-written aliases-published prune-renamed)

whole=0
resumed=0
inside_save=0
for trial in $(seq 1 "$TRIALS"); do
  out="$TMP/t$trial"
  if [ $((trial % 3)) -eq 0 ]; then
    point="${POINTS[$(((trial / 3) % ${#POINTS[@]}))]}:$((1 + RANDOM % 12))"
    (FTCORE_CRASH_AT="$point" "$FTCORE" "${RUN[@]}" --output "$out" >/dev/null 2>&1; true) 2>/dev/null
    how="at $point"
  else
    delay=$(python3 -c "import random, sys; print(round(random.uniform(0.2, float(sys.argv[1])), 3))" "$seconds")
    "$FTCORE" "${RUN[@]}" --output "$out" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    how="after ${delay}s"
  fi
  # A kill that fell inside a save leaves a folder under a temporary name.
  ls -a "$out/checkpoints" "$out" 2>/dev/null | grep -q '\.ftcore-' && inside_save=$((inside_save + 1))
  if python3 "$SRC/tests/e2e/check_outputs.py" "$out" >"$TMP/check.log" 2>&1; then
    whole=$((whole + 1))
  else
    echo "FAIL: trial $trial (killed $how): a checkpoint is not whole"
    sed 's/^/    /' "$TMP/check.log"
  fi
  if [ -d "$out/checkpoints" ] && ls "$out/checkpoints" | grep -q .; then
    "$FTCORE" "${RUN[@]}" --output "$out" --resume >"$TMP/resume.log" 2>&1
  else  # killed before anything was saved: a new run there
    "$FTCORE" "${RUN[@]}" --output "$out" --overwrite >"$TMP/resume.log" 2>&1
  fi
  if [ $? -eq 0 ] && diff -q <(losses "$out/logs/training/metrics.jsonl") "$TMP/reference.losses" >/dev/null; then
    resumed=$((resumed + 1))
  else
    echo "FAIL: trial $trial (killed $how): the run did not end with the reference's losses"
    tail -5 "$TMP/resume.log" | sed 's/^/    /'
  fi
  rm -rf "$out"
done
expect "after $TRIALS kills every checkpoint folder left was whole" 0 "^$TRIALS$" -- echo "$whole"
expect "and every run resumed to the losses of the run never killed" 0 "^$TRIALS$" -- echo "$resumed"
echo "crash trials: $TRIALS (a run takes ${seconds%.*}.x s), killed inside a save: $inside_save, checkpoints whole: $whole," \
  "resumed to the same losses: $resumed"
finish
