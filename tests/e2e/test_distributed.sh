#!/usr/bin/env bash
# End-to-end checks of data-parallel training (docs/distributed.md), two processes on loopback (Gloo):
# the parameters after K steps equal one process's with the same effective batch; a checkpoint written
# by 2 ranks resumes on 1 and the other way round, ending equal to the uninterrupted run; SLURM's
# variables; a killed worker ends the others within 60 s with a message naming it (workers started by
# hand as torchrun would, and by --nproc); a rendezvous that cannot form ends in time; `ftcore bench
# --nproc 2` reports the scaling; bad input, refused before anything is written.
# Usage: test_distributed.sh BUILD_DIR SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

D="$SRC/examples/data"
M="$TMP/model"
DIFF="$SRC/tests/e2e/safetensors_diff.py"
"$FTCORE" init-model --family llama --output "$M" --tokenizer-data "$D/alpaca.json" --log-level warn
# fp32 and no dropout, so that one process and two can be compared to 1e-5; 16 samples, 4 per step.
BASE=(run --model "$M" --data "$D/alpaca.json" --precision fp32 --lora-r 4 --lora-dropout 0 --learning-rate 5e-3
      --lr-scheduler constant --validation-split 0 --logging-steps 1 --tensorboard-events false)
RUN=("${BASE[@]}" --batch-size 1 --effective-batch-size 4 --save-steps 2)
last() { echo "$TMP/$1/checkpoints/last/trainable.safetensors"; }
losses() { python3 -c 'import json,sys; [print("%.6f" % json.loads(l)["train/loss"]) for l in open(sys.argv[1]) if "train/loss" in l]' "$1"; }

expect "--print-config shows the --grad-accum an effective batch makes, and why" 0 \
  "grad_accum: 2  # mode preset: --effective-batch-size 4 / \(--batch-size 2 x 1 rank\)" -- \
  "$FTCORE" "${BASE[@]}" --batch-size 2 --effective-batch-size 4 --print-config
expect "... for the ranks of --nproc" 0 "grad_accum: 1  # mode preset: --effective-batch-size 4 / \(--batch-size 2 x 2 ranks\)" -- \
  "$FTCORE" "${BASE[@]}" --batch-size 2 --effective-batch-size 4 --nproc 2 --print-config

# Two ranks against one process taking the same 4 samples a step.
expect "one process trains" 0 "trained 6 steps" -- "$FTCORE" "${RUN[@]}" --max-steps 6 --output "$TMP/one"
"$FTCORE" "${RUN[@]}" --max-steps 6 --output "$TMP/two" --nproc 2 >"$TMP/two.log" 2>&1
expect "--nproc 2 trains" 0 "trained 6 steps" -- cat "$TMP/two.log"
expect "over Gloo, 2 ranks" 0 "distributed: 2 ranks over gloo" -- cat "$TMP/two.log"
expect "the rendezvous store listens on loopback alone, and asks for the launcher's token" 0 \
  "rendezvous store listening on 127.0.0.1:[0-9]+ only \(ranks show a token\)" -- cat "$TMP/two.log"
expect "2 ranks: the parameters equal 1 process's (fp32, 1e-5)" 0 "max diff" -- python3 "$DIFF" "$(last one)" "$(last two)" 1e-5
expect "2 ranks: the logged losses equal 1 process's" 0 "^same$" -- \
  bash -c "diff <(losses '$TMP/one/logs/training/metrics.jsonl') <(losses '$TMP/two/logs/training/metrics.jsonl') && echo same"
expect "rank 0 alone wrote the outputs" 0 "adapter_model.safetensors" -- ls "$TMP/two/lora"
expect "its config.resolved.yaml reads back on 2 ranks" 0 "trained 1 steps" -- \
  "$FTCORE" run --config "$TMP/two/config.resolved.yaml" --max-steps 1 --output "$TMP/readback" --nproc 2
expect "rank 1 logged no info lines" 0 "^0$" -- bash -c "grep -c 'rank 1:' '$TMP/two.log'; true"

# A checkpoint of 2 ranks resumed on 1, and one of 1 resumed on 2: both end as the uninterrupted run.
"$FTCORE" "${RUN[@]}" --max-steps 4 --output "$TMP/two-one" --nproc 2 >/dev/null 2>&1
expect "2 ranks -> resume on 1" 0 "trained 6 steps" -- "$FTCORE" "${RUN[@]}" --max-steps 6 --output "$TMP/two-one" --resume
expect "2 ranks -> 1: equal to the uninterrupted run" 0 "max diff" -- python3 "$DIFF" "$(last one)" "$(last two-one)" 1e-5
"$FTCORE" "${RUN[@]}" --max-steps 4 --output "$TMP/one-two" >/dev/null 2>&1
expect "1 rank -> resume on 2" 0 "trained 6 steps" -- "$FTCORE" "${RUN[@]}" --max-steps 6 --output "$TMP/one-two" --resume --nproc 2
expect "1 -> 2 ranks: equal to the uninterrupted run" 0 "max diff" -- python3 "$DIFF" "$(last one)" "$(last one-two)" 1e-5
expect "resuming with another effective batch warns" 0 "taking 4 micro-batches per step \(2 rank\(s\)\); this run takes 2" -- \
  "$FTCORE" "${BASE[@]}" --batch-size 1 --effective-batch-size 2 --max-steps 6 --output "$TMP/two-one" \
  --resume-from "$TMP/two-one/checkpoints/checkpoint-4"

# SLURM's variables (what srun sets), two tasks started by hand.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for r in 0 1; do
  SLURM_PROCID=$r SLURM_NTASKS=2 SLURM_LOCALID=$r SLURM_NTASKS_PER_NODE=2 SLURM_NNODES=1 MASTER_PORT=$PORT \
    "$FTCORE" "${RUN[@]}" --max-steps 2 --output "$TMP/slurm" --threads 1 >"$TMP/slurm-$r.log" 2>&1 &
done
wait
expect "srun-style tasks train together" 0 "trained 2 steps" -- cat "$TMP/slurm-0.log"
expect "and match the --nproc run's first steps" 0 "^same$" -- \
  bash -c "diff <(losses '$TMP/slurm/logs/training/metrics.jsonl') <(losses '$TMP/two/logs/training/metrics.jsonl' | head -2) && echo same"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect "a launch of a single rank joins a group of one" 0 "distributed: 1 rank over gloo .*trained 2 steps" -- \
  bash -c "RANK=0 WORLD_SIZE=1 MASTER_PORT=$PORT '$FTCORE' ${RUN[*]} --max-steps 2 --output '$TMP/single' 2>&1 | tr '\n' ' '"

# A worker killed with -9: the others end within 60 s, naming it.
LONG=("${BASE[@]}" --batch-size 1 --effective-batch-size 4 --log-level warn)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT \
    "$FTCORE" "${LONG[@]}" --max-steps 100000 --output "$TMP/killed" --threads 1 >"$TMP/killed-$r.log" 2>&1 &
  eval "pid$r=\$!"
done
for _ in $(seq 1 600); do grep -q '"step":3' "$TMP/killed/logs/training/metrics.jsonl" 2>/dev/null && break; sleep 0.1; done
# What listens on the rendezvous port while the ranks train: 127.0.0.1 alone (torch 1.13's TCPStore
# listened on every interface).
listeners() {
  python3 - "$1" <<'PY'
import sys
port = "%04X" % int(sys.argv[1])
found = []
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).readlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and local.endswith(":" + port):
            found.append(local.split(":")[0])
print(" ".join(found) or "none")
PY
}
expect "a hand-made launch's rendezvous port listens on 127.0.0.1 alone" 0 "^0100007F$" -- listeners "$PORT"
start=$(date +%s)
kill -9 "$pid1"
wait "$pid0"
rc0=$?
took=$(( $(date +%s) - start ))
expect "rank 0 exits non-zero once rank 1 is killed" 0 "^1$" -- echo "$rc0"
expect "within 60 s" 0 "^ok$" -- bash -c "[ $took -le 60 ] && echo ok || echo $took s"
expect "naming the rank that exited" 0 "rank 0: .* with the other ranks failed \(gloo: .*\): rank 1 \(pid $pid1\) has exited" -- cat "$TMP/killed-0.log"

"$FTCORE" "${LONG[@]}" --max-steps 100000 --output "$TMP/killed-nproc" --nproc 2 >"$TMP/killed-nproc.log" 2>&1 &
launcher=$!
for _ in $(seq 1 600); do grep -q '"step":3' "$TMP/killed-nproc/logs/training/metrics.jsonl" 2>/dev/null && break; sleep 0.1; done
worker=$(pgrep -P "$launcher" | tail -1)
start=$(date +%s)
kill -9 "$worker"
wait "$launcher"
rc=$?
took=$(( $(date +%s) - start ))
expect "--nproc: the launcher exits 1 when a worker is killed" 0 "^1 ok$" -- bash -c "echo $rc \$([ $took -le 60 ] && echo ok || echo $took s)"
expect "--nproc: it names the killed rank" 0 "rank 1 \(pid $worker\) was killed by signal 9" -- cat "$TMP/killed-nproc.log"
expect "--nproc: no worker is left" 0 "^none$" -- bash -c "pgrep -P $launcher >/dev/null && echo left || echo none"

# Ctrl-C (SIGINT) to the --nproc launcher: the workers stop after the same step, rank 0 saves, all exit 0.
"$FTCORE" "${LONG[@]}" --max-steps 100000 --output "$TMP/interrupted" --nproc 2 >"$TMP/interrupted.log" 2>&1 &
launcher=$!
for _ in $(seq 1 600); do grep -q '"step":3' "$TMP/interrupted/logs/training/metrics.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -INT "$launcher"
wait "$launcher"
expect "SIGINT to the launcher: every worker stops and exits 0" 0 "^0$" -- echo $?
expect "rank 0 saved the step they stopped at, and says how to continue" 0 "interrupted at step [0-9]+ .*continue with: .* --resume" -- \
  bash -c "tr '\n' ' ' < '$TMP/interrupted.log'"
expect "the saved checkpoint resumes on 2 ranks" 0 "trained [0-9]+ steps" -- \
  bash -c "steps=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"step\"] + 2)' '$TMP/interrupted/checkpoints/last/trainer_state.json'); \
    '$FTCORE' ${LONG[*]} --output '$TMP/interrupted' --nproc 2 --resume --max-steps \$steps 2>&1"

# A rendezvous that cannot form (rank 1 never comes) ends with the address in the message.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect "a rendezvous that does not form ends after --dist-timeout" 1 "rank 0: the ranks could not meet at 127.0.0.1:$PORT within 3 s" -- \
  env RANK=0 WORLD_SIZE=2 MASTER_PORT=$PORT "$FTCORE" "${RUN[@]}" --max-steps 2 --output "$TMP/alone" --dist-timeout 3

expect "a rank other than 0 that cannot reach rank 0 says so once, with its rank" 1 "^error: rank 1: the ranks could not meet at 127.0.0.1:$PORT within 3 s" -- \
  env RANK=1 WORLD_SIZE=2 MASTER_PORT=$PORT "$FTCORE" "${RUN[@]}" --max-steps 2 --output "$TMP/alone1" --dist-timeout 3

# ftcore bench --nproc 2: the scaling against one process.
expect "bench --nproc 2 reports the scaling efficiency" 0 "scaling efficiency: [0-9.]+% \(2 processes against 2 x one process" -- \
  "$FTCORE" bench --preset tiny --seq-len 32 --steps 2 --warmup 1 --nproc 2 --workdir "$TMP/bench" --gemm-peak false \
  --report "$TMP/scaling.json" --log-level warn
expect "and writes it as JSON" 0 '"scaling_efficiency"' -- cat "$TMP/scaling.json"

# Bad input: exit 2 with the reason, nothing written.
expect "--nproc 0" 2 "--nproc 0: must be at least 1" -- "$FTCORE" "${RUN[@]}" --output "$TMP/bad1" --nproc 0
expect "an effective batch that does not divide" 2 \
  "--effective-batch-size 3: with --batch-size 2 on 2 ranks a step takes a multiple of 4 samples; use a multiple of 4 \(4, 8, ...\), or a number of ranks that divides 3" -- \
  "$FTCORE" "${BASE[@]}" --output "$TMP/bad2" --nproc 2 --batch-size 2 --effective-batch-size 3
expect "--effective-batch-size against --grad-accum" 2 "means --grad-accum 4, but --grad-accum 3 was given too" -- \
  "$FTCORE" "${RUN[@]}" --output "$TMP/bad3" --grad-accum 3
expect "--nproc under a launcher" 2 "leave --nproc out under torchrun or srun" -- \
  env RANK=0 WORLD_SIZE=2 "$FTCORE" "${RUN[@]}" --output "$TMP/bad4" --nproc 2
expect "RANK without WORLD_SIZE" 2 "RANK is set but WORLD_SIZE is not" -- env RANK=1 "$FTCORE" "${RUN[@]}" --output "$TMP/bad5"
expect "--dist-timeout 0" 2 "--dist-timeout 0: must be at least 1 second" -- \
  "$FTCORE" "${RUN[@]}" --output "$TMP/bad6" --nproc 2 --dist-timeout 0
expect "--device cuda on a CPU build" 2 "--device cuda: this ftcore was built against a libtorch without CUDA" -- \
  "$FTCORE" "${RUN[@]}" --output "$TMP/bad7" --device cuda
expect "--device with a wrong name" 2 "--device 'gpu': use auto, cpu, cuda or cuda:N" -- \
  "$FTCORE" "${RUN[@]}" --output "$TMP/bad8" --device gpu
expect "bench --device cuda on a CPU build, before any model is made" 2 "--device cuda: this ftcore was built against" -- \
  "$FTCORE" bench --preset tiny --device cuda --workdir "$TMP/bad-bench"
expect "nothing written by the refusals" 0 "^none$" -- \
  bash -c "ls -d '$TMP'/bad* 2>/dev/null | grep -q . && ls -d '$TMP'/bad* || echo none"
finish
