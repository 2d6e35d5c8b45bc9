#!/usr/bin/env python3
"""transformers' assistant-token masks, for ftcore's label-mask parity test.

Usage: reference_masks.py MODELS_DIR CONVERSATIONS.json OUT.json

A chat template with {% generation %} blocks around assistant turns (as transformers documents
it) renders every conversation of CONVERSATIONS.json whose messages are plain system / user /
assistant turns with string content, through each real tokenizer (MODELS_DIR/<name>/models):
apply_chat_template(..., tokenize=True, return_dict=True, return_assistant_tokens_mask=True) gives
the token ids and the mask of the tokens the loss covers. ftcore must produce the same ids and
mark the same tokens as trained.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

MODELS = ["llama2", "llama3", "qwen3", "gemma3"]
TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}{{ '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def plain(conv):
    messages = conv["messages"]
    return (messages and any(m.get("role") == "assistant" for m in messages)
            and all(set(m) <= {"role", "content"} and m.get("role") in ("system", "user", "assistant")
                    and isinstance(m.get("content"), str) for m in messages))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    models_dir, conversations_path, out_path = sys.argv[1:]
    with open(conversations_path, encoding="utf-8") as f:
        conversations = [c for c in json.load(f) if plain(c)]
    result = {"reference": f"transformers {transformers.__version__}", "template": TEMPLATE,
              "conversations": conversations, "models": {}}
    for name in MODELS:
        tok = AutoTokenizer.from_pretrained(os.path.join(models_dir, name, "models"), local_files_only=True)
        rows = []
        for conv in conversations:
            out = tok.apply_chat_template(conv["messages"], chat_template=TEMPLATE, tokenize=True, return_dict=True,
                                          return_assistant_tokens_mask=True)
            rows.append({"id": conv["id"], "input_ids": out["input_ids"], "mask": out["assistant_masks"]})
        result["models"][name] = rows
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    print(f"reference_masks: {len(conversations)} conversations x {len(MODELS)} tokenizers -> {out_path}")


if __name__ == "__main__":
    main()
