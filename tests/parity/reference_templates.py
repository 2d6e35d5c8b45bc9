#!/usr/bin/env python3
"""Reference chat-template renderings from the pinned transformers, for ftcore's template parity test.

Usage: reference_templates.py MODELS_DIR CONVERSATIONS.json OUT.json

For each tokenizer folder MODELS_DIR/<name>/models (llama2, llama3, qwen3, gemma3), loaded with
AutoTokenizer.from_pretrained offline, and each conversation ({id, messages, tools?, kwargs?}) and
add_generation_prompt in (False, True): apply_chat_template(messages, tools=..., tokenize=False,
add_generation_prompt=..., **kwargs) -> {"text": ...}, or {"error": "<Type>: <message>"} where it
raises. A checkpoint without a chat template (the npm Llama-2 package ships the base model's
tokenizer_config.json, which has none) is rendered with the Llama-2-chat template committed beside
this script (llama2_chat_template.jinja, passed as chat_template=); the output records it as
"fallback_template" so the C++ side uses the same source.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import jinja2  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

MODELS = ["llama2", "llama3", "qwen3", "gemma3"]
FALLBACKS = {"llama2": "llama2_chat_template.jinja"}
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    models_dir, conversations_path, out_path = sys.argv[1:]
    with open(conversations_path, encoding="utf-8") as f:
        conversations = json.load(f)

    result = {
        "reference": f"transformers {transformers.__version__}, jinja2 {jinja2.__version__}",
        "conversations": conversations,
        "models": {},
    }
    for name in MODELS:
        model_dir = os.path.join(models_dir, name, "models")
        tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        entry = {"model_dir": os.path.abspath(model_dir), "fallback_template": None, "results": []}
        template_arg = None
        if not tok.chat_template:
            if name not in FALLBACKS:
                sys.exit(f"reference_templates: {model_dir} has no chat template and no fallback is defined")
            with open(os.path.join(HERE, FALLBACKS[name]), encoding="utf-8") as f:
                template_arg = f.read()
            entry["fallback_template"] = template_arg
        errors = 0
        for conv in conversations:
            for add_gen in (False, True):
                try:
                    text = tok.apply_chat_template(conv["messages"], tools=conv.get("tools"),
                                                   chat_template=template_arg, tokenize=False,
                                                   add_generation_prompt=add_gen, **conv.get("kwargs", {}))
                    outcome = {"text": text}
                except Exception as e:  # the reference raising is itself a result to match
                    outcome = {"error": f"{type(e).__name__}: {e}"}
                    errors += 1
                entry["results"].append({"id": conv["id"], "add_generation_prompt": add_gen, **outcome})
        result["models"][name] = entry
        print(f"reference_templates: {name}: {len(entry['results'])} renderings, {errors} raise")

    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    os.replace(tmp, out_path)
    print(f"reference_templates: wrote {out_path}")


if __name__ == "__main__":
    main()
