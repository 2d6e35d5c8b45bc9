#!/usr/bin/env bash
# On a machine with a CUDA GPU, for a CUDA build of ftcore: the GPU tests, the NCCL path (torchrun with
# one rank per GPU), and the comparison with transformers + peft on the GPU (bench/compare.py --device
# cuda, the machine's python3 as the reference). Everything it prints and the results go to OUT_DIR.
# Usage: bash bench/gpu_check.sh BUILD_DIR OUT_DIR   (PYTHON=... picks the reference interpreter)
set -uo pipefail
BUILD="$(cd "$1" && pwd)"
mkdir -p "$2"
OUT="$(cd "$2" && pwd)"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
FTCORE="$BUILD/bin/ftcore"
WORK="$BUILD/gpu-work"
mkdir -p "$WORK"
step() { echo; echo "=== $* ($(date +%T))"; }

step "machine"
nvidia-smi -L
"$PY" -c 'import torch, transformers, peft; print("reference: torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)'
"$FTCORE" --version

step "GPU unit tests"
timeout 300 "$BUILD/bin/test_train" --gtest_filter='TrainerOnGpu.*:Device*' 2>&1 | grep -vE "^\[20[0-9-]+ "

step "NCCL: torchrun, one rank per GPU"
GPUS=$(nvidia-smi -L | grep -c '^GPU')
"$FTCORE" init-model --family llama --output "$WORK/tiny" --tokenizer-data "$SRC/examples/data/alpaca.json" --log-level warn
timeout 300 "$PY" -m torch.distributed.run --nproc-per-node="$GPUS" --no-python "$FTCORE" run --device cuda --model "$WORK/tiny" \
  --data "$SRC/examples/data/alpaca.json" --lora-r 8 --batch-size 2 --effective-batch-size $((4 * GPUS)) --max-steps 8 \
  --validation-split 0.2 --output "$WORK/nccl" 2>&1 | grep -E "distributed|device|step 8|finished|trained|error|warn"
ls "$WORK/nccl/lora"

step "transformers + peft on the GPU"
REF="torch$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')=$PY"
for args in "--preset 500m --batch 1" "--preset 500m --batch 8" "--preset 100m --batch 8"; do
  # shellcheck disable=SC2086
  timeout 400 python3 "$SRC/bench/compare.py" "$BUILD" $args --seq 512 --steps 10 --warmup 3 --device cuda --reference "$REF" 2>&1 |
    grep -vE "^step [0-9]+/"
done
cp "$BUILD"/bench/*-cuda*.json "$OUT/"
step "done"
