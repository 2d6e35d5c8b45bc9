#!/usr/bin/env bash
# README command (1): set up, build, and run the main job on the embedded default: a tiny Llama
# made by `ftcore init-model` (its tokenizer trained on the bundled data) is fine-tuned with LoRA
# on the bundled example data of every conversation format, the loss falling as it goes; then it
# answers a question from that data. Outputs go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
FTCORE=build/bin/ftcore
D=examples/data
DATA="$D/alpaca.json,$D/sharegpt.jsonl,$D/openai.jsonl,$D/qa.jsonl"
DEMO=build/demo

echo
echo "== the bundled datasets, checked =="
"$FTCORE" validate --data "$D/alpaca.json,$D/sharegpt.jsonl,$D/openai.jsonl,$D/qa.jsonl,$D/completion.jsonl,$D/text.txt"

echo
echo "== a tiny random Llama to fine-tune =="
"$FTCORE" init-model --family llama --preset tiny --tokenizer-data "$DATA" --output "$DEMO/model" --overwrite --seed 7

echo
echo "== LoRA fine-tuning on the bundled data (watch the loss fall) =="
"$FTCORE" run --model "$DEMO/model" --data "$DATA" --output "$DEMO/run" --overwrite \
  --method lora --lora-r 16 --lora-dropout 0 --target-modules all-linear --modules-to-save lm_head \
  --learning-rate 3e-3 --lr-scheduler cosine --warmup-steps 5 --weight-decay 0 \
  --batch-size 4 --grad-accum 1 --epochs 60 --validation-split 0 --logging-steps 15 --save-steps 100000

echo
QUESTION="Which command trains a model?"
echo "== the fine-tuned model answers a training question: $QUESTION =="
"$FTCORE" generate --model "$DEMO/model" --adapter "$DEMO/run/lora" --prompt "$QUESTION" --max-new-tokens 24 --log-level warn
echo
echo "Outputs: $DEMO/run (lora/ is a PEFT adapter; training_history.png; logs/training/ for TensorBoard)"
