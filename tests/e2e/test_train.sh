#!/usr/bin/env bash
# End-to-end training checks of the ftcore binary on a tiny model: every dataset format, packing,
# every schedule, resume after kill -9 with the same losses for every method (lora, dora, adalora, qlora,
# freeze, full) and optimizer (adamw_torch, adamw_8bit, adafactor), SIGINT, overwrite refusal, merge,
# and the bad inputs with their messages.
# Usage: test_train.sh BUILD_DIR SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

# losses FILE: the train/loss values of metrics.jsonl, one per line.
losses() { python3 -c 'import json,sys; [print(json.loads(l)["train/loss"]) for l in open(sys.argv[1]) if "train/loss" in l]' "$1"; }

D="$SRC/examples/data"
M="$TMP/model"
"$FTCORE" init-model --family llama --output "$M" --tokenizer-data "$D/alpaca.json,$D/sharegpt.jsonl" --log-level warn
QUICK=(--lora-r 4 --batch-size 2 --grad-accum 1 --logging-steps 1 --log-level warn)

for f in alpaca.json sharegpt.jsonl openai.jsonl qa.jsonl completion.jsonl text.txt; do
  expect "trains on $f" 0 "trained 3 steps" -- \
    "$FTCORE" run --model "$M" --data "$D/$f" --output "$TMP/fmt-$f" --max-steps 3 "${QUICK[@]}"
done
expect "writes a PEFT adapter" 0 "adapter_config.json adapter_info.json adapter_model.safetensors" -- \
  bash -c "ls '$TMP/fmt-alpaca.json/lora' | tr '\n' ' '"
expect "and the run's other outputs" 0 "checkpoints config.resolved.yaml logs lora training_history.png" -- \
  bash -c "ls '$TMP/fmt-alpaca.json' | tr '\n' ' '"
expect "adapter_info records the data with its hash" 0 '"sha256": "[0-9a-f]{64}"' -- cat "$TMP/fmt-alpaca.json/lora/adapter_info.json"
expect "--lora-r auto picks 8 under 1B parameters, alpha 2r" 0 "method: LoRA r=8 alpha=16 " -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/alpaca.json' --output '$TMP/auto-rank' --max-steps 1 --lora-r auto \
    --batch-size 2 --grad-accum 1 2>&1 | tr '\n' ' '"
expect "packing" 0 "trained 2 steps" -- \
  "$FTCORE" run --model "$M" --data "$D/sharegpt.jsonl" --output "$TMP/packed" --max-steps 2 --packing "${QUICK[@]}"
for schedule in constant linear cosine polynomial; do
  expect "schedule $schedule" 0 "trained 4 steps" -- "$FTCORE" run --model "$M" --data "$D/alpaca.json" \
    --output "$TMP/s-$schedule" --max-steps 4 --warmup-steps 1 --lr-scheduler "$schedule" "${QUICK[@]}"
done
expect "warm-up starts at 0 and constant holds the peak" 0 "^0.0 0.0002 0.0002 0.0002 $" -- \
  bash -c "python3 -c 'import json; [print(json.loads(l)[\"train/learning_rate\"], end=\" \") for l in open(\"$TMP/s-constant/logs/training/metrics.jsonl\") if \"train/learning_rate\" in l]'"

# Resume: a run killed with -9 mid-way and resumed logs the same losses as an uninterrupted one.
# resume_check NAME RUN_ARGS...: 14 steps with checkpoints every 3, straight and killed at 6.
resume_check() {
  local name="$1"
  shift
  local run=("$@" --max-steps 14 --save-steps 3)
  "$FTCORE" run "${run[@]}" --output "$TMP/$name-straight" >/dev/null 2>&1
  "$FTCORE" run "${run[@]}" --output "$TMP/$name-killed" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do [ -d "$TMP/$name-killed/checkpoints/checkpoint-6" ] && break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  expect "$name: killed mid-run" 0 "checkpoint-6" -- ls "$TMP/$name-killed/checkpoints"
  expect "$name: resume after kill -9" 0 "trained 14 steps" -- "$FTCORE" run "${run[@]}" --output "$TMP/$name-killed" --resume
  expect "$name: resumed losses equal the uninterrupted run's" 0 "^same$" -- \
    bash -c "diff <(losses '$TMP/$name-straight/logs/training/metrics.jsonl') <(losses '$TMP/$name-killed/logs/training/metrics.jsonl') >/dev/null && echo same"
  expect "$name: the loss falls" 0 "^falls$" -- \
    python3 -c 'import json,sys; l=[json.loads(x)["train/loss"] for x in open(sys.argv[1]) if "train/loss" in x]; print("falls" if sum(l[-3:]) < sum(l[:3]) else l)' \
    "$TMP/$name-straight/logs/training/metrics.jsonl"
}
resume_check lora --model "$M" --data "$D/alpaca.json" --lora-dropout 0.1 --learning-rate 2e-3 "${QUICK[@]}"
resume_check dora --model "$M" --data "$D/alpaca.json" --method dora --lora-dropout 0.1 --learning-rate 2e-3 "${QUICK[@]}"
resume_check adalora --model "$M" --data "$D/alpaca.json" --method adalora --learning-rate 1e-2 --adalora-tinit 2 \
  --adalora-tfinal 3 --adalora-target-r 2 "${QUICK[@]}"
expect "adalora writes PEFT's AdaLoRA adapter with its rank pattern" 0 '"peft_type": "ADALORA".*"rank_pattern": \{"model.layers.0' -- \
  bash -c "tr -d '\n ' < '$TMP/adalora-straight/lora/adapter_config.json' | sed 's/,\"/, \"/g; s/:/: /g'"
expect "generate loads it with the adalora method" 0 "adapter: .*adalora-straight/lora \(AdaLoRA init_r=4" -- \
  "$FTCORE" generate --model "$M" --adapter "$TMP/adalora-straight/lora" --prompt "hi" --max-new-tokens 2
expect "adalora with use_dora is refused" 2 "PEFT's AdaLoRA has no DoRA" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --method adalora --use-dora
expect "adalora whose tinit + tfinal fill the run is refused" 2 "leave no steps to allocate ranks in a run of 3 steps" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad-ada" --method adalora --max-steps 3 \
  --adalora-tinit 2 --adalora-tfinal 1
resume_check full --model "$M" --data "$D/alpaca.json" --method full --learning-rate 1e-3 "${QUICK[@]:2}"
resume_check freeze --model "$M" --data "$D/alpaca.json" --method freeze --freeze-trainable-layers 1 --learning-rate 1e-3 \
  "${QUICK[@]:2}"
resume_check qlora --model "$M" --data "$D/alpaca.json" --method qlora --learning-rate 2e-3 "${QUICK[@]}"
expect "qlora: every decoder linear layer in NF4 with double quantisation" 0 \
  "base 14 linear layers in nf4 with double quantisation, 4.1[0-9]* bits per weight" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/qlora-log" --max-steps 1 --method qlora --lora-r 4 \
  --batch-size 2 --grad-accum 1
expect "qlora writes a LoRA adapter" 0 '"peft_type": "LORA"' -- cat "$TMP/qlora-straight/lora/adapter_config.json"
expect "--load-in-8bit: lora on an int8 base" 0 "base 14 linear layers in int8" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/int8" --max-steps 2 --load-in-8bit --lora-r 4 \
  --batch-size 2 --grad-accum 1
expect "--load-in-8bit with full fine-tuning is refused" 2 "--load-in-8bit keeps the base weights frozen in int8, but --method full" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --method full --load-in-8bit
expect "qlora with trained biases is refused" 2 "use --lora-bias none with qlora" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --method qlora --lora-bias all
expect "--layers-to-transform past the last layer" 2 "this model has no layer 5 \(its decoder layers are 0-1\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --layers-to-transform 5
# Each optimizer: r=64 makes LoRA's A and B 4096 elements, so adamw_8bit keeps them in 8 bits.
resume_check adamw_8bit --model "$M" --data "$D/alpaca.json" --optimizer adamw_8bit --learning-rate 2e-3 \
  --lora-r 64 "${QUICK[@]:2}"
resume_check adafactor --model "$M" --data "$D/alpaca.json" --optimizer adafactor --learning-rate 2e-3 "${QUICK[@]}"
expect "8-bit moments in the checkpoint" 0 '^U8$' -- bash -c "python3 -c 'import json,struct,sys; f=open(sys.argv[1],\"rb\"); \
  n=struct.unpack(\"<Q\",f.read(8))[0]; print(json.loads(f.read(n))[\"0.state1\"][\"dtype\"])' \
  \$(ls -d '$TMP'/adamw_8bit-straight/checkpoints/checkpoint-* | tail -1)/optimizer.safetensors"
expect "paged_adamw_8bit on the CPU says it is adamw_8bit" 0 "with paged_adamw_8bit \(no GPU: nothing to page" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/paged" --max-steps 1 --optimizer paged_adamw_8bit \
  --lora-r 4 --batch-size 2 --grad-accum 1
expect "resuming with another optimizer is refused" 1 'written by optimizer "adafactor", this run uses "adamw"' -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --lora-dropout 0.1 --learning-rate 2e-3 "${QUICK[@]}" \
  --max-steps 20 --save-steps 3 --output "$TMP/adafactor-straight" --resume
expect "dora writes a PEFT DoRA adapter" 0 '"use_dora": true' -- cat "$TMP/dora-straight/lora/adapter_config.json"
expect "generate loads it with the dora method" 0 "adapter: .*dora-straight/lora \(DoRA r=4" -- \
  "$FTCORE" generate --model "$M" --adapter "$TMP/dora-straight/lora" --prompt "hi" --max-new-tokens 2

# SIGINT: the step finishes, last/ is saved, exit 0 with the resume command.
"$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/interrupted" --max-steps 100000 "${QUICK[@]}" \
  >"$TMP/interrupted.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -s "$TMP/interrupted/logs/training/metrics.jsonl" ] && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
expect "SIGINT saves and exits 0" 0 "interrupted at step [0-9]+ of 100000; saved .*checkpoints/last" -- \
  bash -c "cat '$TMP/interrupted.log'; exit $rc"
expect "and says how to resume" 0 "continue with: ftcore run .* --resume" -- cat "$TMP/interrupted.log"
expect "last/ holds the state" 0 "trainer_state.json" -- ls "$TMP/interrupted/checkpoints/last"

# Existing results are not overwritten by accident.
expect "refuses to overwrite" 2 "already holds results of a run .*pass --resume to continue it, --overwrite to replace them" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/fmt-alpaca.json" --max-steps 1 "${QUICK[@]}"
expect "--overwrite replaces them" 0 "trained 1 steps" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/fmt-alpaca.json" --max-steps 1 --overwrite "${QUICK[@]}"
expect "--resume without a checkpoint" 2 "--resume: no checkpoint in" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/none" --resume "${QUICK[@]}"

# Outputs in the model directory are used by generate; merge folds them in.
cp -r "$M" "$TMP/m2"
expect "run into the model directory, --merge" 0 "trained 2 steps" -- \
  "$FTCORE" run --model "$TMP/m2" --data "$D/alpaca.json" --max-steps 2 --merge "${QUICK[@]}"
expect "generate loads <model>/lora" 0 "adapter: .*m2/lora \(LoRA r=4" -- \
  "$FTCORE" generate --model "$TMP/m2" --prompt "hi" --max-new-tokens 2
expect "--merge wrote merged/" 0 "config.json .*model.safetensors" -- bash -c "ls '$TMP/m2/merged' | tr '\n' ' '"
expect "ftcore merge" 0 "merged LoRA r=4" -- "$FTCORE" merge --model "$TMP/m2" --output "$TMP/merged"
expect "the merged model generates without an adapter" 0 "stopped:" -- \
  "$FTCORE" generate --model "$TMP/merged" --prompt "hi" --max-new-tokens 2
expect "full fine-tuning" 0 "trained 2 steps .*full" -- "$FTCORE" run --model "$M" --data "$D/qa.jsonl" --output "$TMP/full" \
  --method full --max-steps 2 --batch-size 2 --grad-accum 1 --log-level warn
expect "freeze tuning" 0 "freeze tuning: layers 1-1 of 2 \(all\) \+ lm_head: .*trained 2 steps" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$D/qa.jsonl' --output '$TMP/freeze' --method freeze --freeze-trainable-layers 1 \
    --freeze-extra-modules lm_head --max-steps 2 --batch-size 2 --grad-accum 1 2>&1 | tr '\n' ' '"
expect "its model directory generates" 0 "adapter: .*freeze/full \(full fine-tuning" -- \
  "$FTCORE" generate --model "$M" --adapter "$TMP/freeze/full" --prompt "hi" --max-new-tokens 2
expect "generate with fine-tuned weights" 0 "adapter: .*full \(full fine-tuning" -- \
  "$FTCORE" generate --model "$M" --adapter "$TMP/full/full" --prompt "hi" --max-new-tokens 2

# Bad input: each with its message, before anything is written.
expect "unknown method" 2 "--method 'lorra': no such training method \(did you mean 'lora'\?\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --method lorra
expect "targets that match nothing" 2 "--target-modules q_prj matched no linear layer of this model" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --target-modules q_prj
expect "truncation leaves nothing to train" 2 "none of the [0-9]+ samples has a token to train: truncation at --max-length 3" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --max-length 3
printf '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello", "weight": 0}]}\n' > "$TMP/untrained.jsonl"
expect "a dataset with nothing to train" 2 "untrained.jsonl:1:1: \[openai\] messages: no trainable turn.*the data has invalid records" -- \
  bash -c "'$FTCORE' run --model '$M' --data '$TMP/untrained.jsonl' --output '$TMP/bad' 2>&1 | tr '\n' ' '; exit \${PIPESTATUS[0]}"
expect "bad validation split" 2 "--validation-split must be in \[0, 1\)" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --validation-split 1.5
expect "an unknown optimizer" 2 "--optimizer: expected one of adamw_torch, adamw_8bit, paged_adamw_8bit, adafactor, got 'sgd'" -- \
  "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --optimizer sgd
expect "bad schedule" 2 "lr-scheduler" -- "$FTCORE" run --model "$M" --data "$D/alpaca.json" --output "$TMP/bad" --lr-scheduler wavy
expect "nothing was written for bad input" 1 "" -- test -e "$TMP/bad"

finish
