#!/usr/bin/env bash
# README command (1): set up, build, and run the main job on the embedded default:
# every bundled example dataset validated through the format plugins, then the plugin list.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
FTCORE=build/bin/ftcore
echo
echo "== ftcore validate: the bundled example datasets, one per format =="
"$FTCORE" validate --data examples/data/alpaca.json,examples/data/sharegpt.jsonl,examples/data/openai.jsonl,examples/data/qa.jsonl,examples/data/completion.jsonl,examples/data/text.txt
echo
echo "== ftcore plugins =="
"$FTCORE" plugins
