#!/usr/bin/env bash
# End-to-end checks of the ftcore binary: exit codes, messages, config precedence.
# Usage: test_cli.sh BUILD_DIR SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$@"

D="$SRC/examples/data"
ALL="$D/alpaca.json,$D/sharegpt.jsonl,$D/openai.jsonl,$D/qa.jsonl,$D/completion.jsonl,$D/text.txt"

expect "validate every bundled format" 0 "total: [0-9]+ records, [0-9]+ valid, 0 invalid" -- \
  "$FTCORE" validate --data "$ALL"
for f in alpaca sharegpt openai qa completion text; do
  expect "detects $f" 0 "^  $f " -- "$FTCORE" validate --data "$ALL"
done
expect "bad records exit 2 with file:line" 2 "openai_errors.jsonl:1:1: \[openai\] messages\[2\]\.tool_call_id" -- \
  "$FTCORE" validate --data "$D/bad"
expect "bad JSON has line and column" 2 "openai_errors.jsonl:6:[0-9]+: invalid JSON" -- \
  "$FTCORE" validate --data "$D/bad"
expect "skip-invalid only warns" 0 "invalid record\(s\) would be skipped" -- \
  "$FTCORE" validate --data "$D/bad" --skip-invalid
expect "max-examples counts what is left out" 0 "valid records not used \(--max-examples\)" -- \
  "$FTCORE" validate --data "$D/text.txt" --max-examples 3
expect "forced format" 2 "\[qa\] question: missing required field" -- \
  "$FTCORE" validate --data "$D/alpaca.json" --format qa
expect "unknown format" 2 "no such dataset format \(did you mean 'alpaca'\?\)" -- \
  "$FTCORE" validate --data "$D/alpaca.json" --format alpacca
expect "missing data file" 2 "no such file or directory" -- "$FTCORE" validate --data "$TMP/none.jsonl"
expect "unknown command" 2 "unknown command 'valdate' \(did you mean 'validate'\?\)" -- "$FTCORE" valdate
expect "unknown option" 2 "did you mean '--learning-rate'" -- "$FTCORE" run --lerning-rate 1
expect "run needs a model" 2 "no model given" -- "$FTCORE" run --data "$D/text.txt"
expect "run with an unknown family" 2 "no installed model handler recognises model_type 'falcon' \(installed: gemma, gpt2, llama, mistral, qwen2\).*howto-add-a-model-family.md" -- \
  bash -c "mkdir -p '$TMP/m' && echo '{\"model_type\": \"falcon\"}' > '$TMP/m/config.json' && \
           '$FTCORE' run --model '$TMP/m' --data '$D/text.txt'"
expect "run --help lists aliases" 0 "aliases: --num_train_epochs" -- "$FTCORE" run --help
expect "json logs" 2 '^\{"level":"error","message":".*unknown command' -- "$FTCORE" nope --log-format json
expect "json log format for a command" 2 '"level":"error"' -- \
  "$FTCORE" validate --data "$D/bad" --log-format json
expect "version" 0 "^ftcore [0-9]+\.[0-9]+\.[0-9]+" -- "$FTCORE" --version

# Configuration: YAML below the command line, both above defaults.
cat > "$TMP/cfg.yaml" <<'YAML'
model:
  path: ./tiny
  lora_config: {r: 16, lora_alpha: 32}
training:
  learning_rate: 1.0e-4
  num_train_epochs: 2
YAML
expect "yaml value" 0 "^lora_r: 16  # config file: .*cfg.yaml:3 \(model.lora_config.r\)" -- \
  "$FTCORE" run --config "$TMP/cfg.yaml" --print-config
expect "cli beats yaml" 0 "^learning_rate: 0.0005  # command line: --lr" -- \
  "$FTCORE" run --config "$TMP/cfg.yaml" --lr 5e-4 --print-config
expect "default fills the rest" 0 "^seed: 42  # built-in default" -- "$FTCORE" run --config "$TMP/cfg.yaml" --print-config
printf 'training:\n  learnig_rate: 1\n' > "$TMP/bad.yaml"
expect "unknown yaml key" 2 "bad.yaml:2: unknown key 'training.learnig_rate' \(did you mean 'training.learning_rate'\?\)" -- \
  "$FTCORE" run --config "$TMP/bad.yaml" --print-config
"$FTCORE" run --config "$TMP/cfg.yaml" --bf16 --print-config > "$TMP/resolved.yaml" 2>&1
expect "resolved config reads back" 0 "^precision: \"bf16\"  # config file" -- \
  "$FTCORE" run --config "$TMP/resolved.yaml" --print-config

# Plugins: list, info, trust.
expect "plugins list" 0 "format +alpaca +0\.1\.0 +format-alpaca" -- "$FTCORE" plugins
expect "plugins info" 0 "path: +.*ftcore_format_openai\.so" -- "$FTCORE" plugins info openai
expect "plugins info unknown" 2 "no plugin or component named 'opena' \(did you mean 'openai'\?\)" -- \
  "$FTCORE" plugins info opena
PLUGIN_DIR="$(dirname "$FTCORE")/../lib/ftcore/plugins"
mkdir -p "$TMP/model/ftcore-plugins"
echo '{"model_type": "llama"}' > "$TMP/model/config.json"
cp "$PLUGIN_DIR/ftcore_format_qa.so" "$TMP/model/ftcore-plugins/model_qa.so"
expect "untrusted model plugin is refused" 0 "untrusted plugin found next to the model.*ftcore plugins trust" -- \
  "$FTCORE" plugins --model "$TMP/model"
expect "trusted by flag it loads (and clashes by name with the built-in)" 0 "duplicate plugin name 'format-qa'" -- \
  "$FTCORE" plugins --model "$TMP/model" --trust-model-plugins
expect "plugins trust" 0 "sha256 [0-9a-f]{64}" -- "$FTCORE" plugins trust "$TMP/model/ftcore-plugins/model_qa.so"
expect "trusted by list it loads" 0 "duplicate plugin name 'format-qa'" -- "$FTCORE" plugins --model "$TMP/model"
echo "not a library" > "$TMP/broken.so"
expect "bad --plugin is reported, others load" 0 "broken.so: not a shared library.*" -- \
  "$FTCORE" plugins --plugin "$TMP/broken.so"

# Tokenizer and chat template inspection, on a tiny byte-level BPE (ids checked against `tokenizers`).
TINY="$SRC/tests/e2e/fixtures/tiny-model"
expect "tokenize --json" 0 '^\[262,258,32,119,111,114,108,100\]$' -- \
  bash -c "echo 'Hello the world' | '$FTCORE' tokenize --model '$TINY' --json"
expect "tokenize a JSON string line with special tokens" 0 '^\[264,117,115,101,114,10,72,105,265\]$' -- \
  bash -c "printf '%s\n' '\"<|im_start|>user\\nHi<|im_end|>\"' | '$FTCORE' tokenize --model '$TINY' --json"
expect "tokenize shows tokens" 0 'tokens: \["Hello","Ġthe","Ġ"' -- \
  bash -c "echo 'Hello the world' | '$FTCORE' tokenize --model '$TINY'"
expect "decode" 0 '^Hello the world$' -- bash -c "echo '262 258 32 119 111 114 108 100' | '$FTCORE' tokenize --model '$TINY' --decode"
expect "decode rejects words" 2 "line 1: 'x' is not a token id" -- bash -c "echo '1 x' | '$FTCORE' tokenize --model '$TINY' --decode"
expect "tokenize without tokenizer.json" 2 "tokenizer.json" -- bash -c "echo hi | '$FTCORE' tokenize --model '$TMP'"
printf '[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]' > "$TMP/conv.json"
expect "template --mask" 0 '^\[TRAIN\]Hello<\|im_end\|>$' -- \
  "$FTCORE" template --model "$TINY" --messages "$TMP/conv.json" --mask
expect "template --add-generation-prompt" 0 '^<\|im_start\|>assistant$' -- \
  "$FTCORE" template --model "$TINY" --messages "$TMP/conv.json" --add-generation-prompt
expect "template --json spans" 0 '"trained":\[\[52,68\]\]' -- \
  "$FTCORE" template --model "$TINY" --messages "$TMP/conv.json" --json
expect "template of a dataset record" 0 '^<\|im_start\|>user$' -- \
  "$FTCORE" template --model "$TINY" --messages "$D/sharegpt.jsonl" --record 2
expect "template of a non-conversation" 2 'not a conversation' -- \
  "$FTCORE" template --model "$TINY" --messages "$D/completion.jsonl"
expect "template without a chat template" 2 'has no chat template' -- \
  "$FTCORE" template --model "$TMP" --messages "$TMP/conv.json"

expect "validate --model adds token statistics" 0 '^  text +total [0-9]+, mean [0-9]+, median [0-9]+, p95 [0-9]+, max [0-9]+$' -- \
  "$FTCORE" validate --data "$D/text.txt,$D/openai.jsonl" --model "$TINY"
expect "validate --model with a conversation and no template" 2 'has no chat template' -- \
  bash -c "cp '$TINY/tokenizer.json' '$TMP/' && '$FTCORE' validate --data '$D/openai.jsonl' --model '$TMP'"

# Models: init-model, generate, chat.
for family in llama qwen2 mistral gemma gpt2; do
  expect "init-model $family" 0 "^wrote .*/m-$family: $family tiny, [0-9]+ parameters \(seed 42\)" -- \
    "$FTCORE" init-model --family "$family" --output "$TMP/m-$family" --tokenizer-data "$D/alpaca.json"
done
M="$TMP/m-llama"
expect "init-model writes a Hugging Face directory" 0 "config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json" -- \
  bash -c "ls '$M' | tr '\n' ' '"
expect "init-model refuses a non-empty output" 2 "exists and is not empty; pass --overwrite" -- \
  "$FTCORE" init-model --family llama --output "$M"
expect "init-model --overwrite" 0 "^wrote " -- "$FTCORE" init-model --family llama --output "$M" --overwrite --seed 7
expect "init-model unknown family" 2 "--family 'lama': no such model handler \(did you mean 'llama'\?\); installed: gemma, gpt2, llama, mistral, qwen2" -- \
  "$FTCORE" init-model --family lama --output "$TMP/x"
expect "init-model unknown preset" 2 "--preset" -- "$FTCORE" init-model --family llama --preset huge --output "$TMP/x"
expect "generate from a prompt" 0 "stopped: max tokens" -- "$FTCORE" generate --model "$M" --prompt "What is LoRA?" --max-new-tokens 8
expect "generate --raw, sampled" 0 "8 tokens in" -- \
  "$FTCORE" generate --model "$M" --prompt "Once" --raw --max-new-tokens 8 --temperature 0.9 --top-k 20 --top-p 0.9
expect "generate from a dataset record" 0 "stopped:" -- \
  "$FTCORE" generate --model "$M" --messages "$D/openai.jsonl" --record 1 --max-new-tokens 4
expect "generate needs one input" 2 "give exactly one of --prompt TEXT and --messages FILE" -- "$FTCORE" generate --model "$M"
expect "generate rejects top-p" 2 "--top-p must be in \(0, 1\]" -- "$FTCORE" generate --model "$M" --prompt x --top-p 1.5
expect "chat over standard input" 0 "(tokens in .*){2}" -- \
  bash -c "set -o pipefail; printf 'hello\nagain\n/exit\n' | '$FTCORE' chat --model '$M' --max-new-tokens 4 2>&1 | tr '\n' ' '"
cp -r "$TMP/m-qwen2" "$TMP/m-mismatch" && cp "$TMP/m-llama/model.safetensors" "$TMP/m-mismatch/"
expect "weights that do not fit the config" 2 "the weights do not fit the architecture in config.json:.*missing tensors" -- \
  bash -c "set -o pipefail; '$FTCORE' generate --model '$TMP/m-mismatch' --prompt x 2>&1 | tr '\n' ' '"
python3 -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); c.pop('chat_template'); json.dump(c, open(p, 'w'))" \
  "$TMP/m-gemma/tokenizer_config.json"
expect "template falls back to the handler's" 0 "^<bos><start_of_turn>user$" -- \
  "$FTCORE" template --model "$TMP/m-gemma" --messages "$TMP/conv.json"

finish
