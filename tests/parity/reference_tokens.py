#!/usr/bin/env python3
"""Reference token ids from the pinned `tokenizers` package, for ftcore's tokenizer parity test.

Usage: reference_tokens.py MODELS_DIR CORPUS.json OUT.json

MODELS_DIR holds one folder per tokenizer (llama2, llama3, qwen3, gemma3), each with
models/tokenizer.json (the npm packages' layout; setup_parity.sh unpacks them so). For every
corpus string and every tokenizer it records: ids and tokens with add_special_tokens=True, ids
with add_special_tokens=False, the decodes of the with-special ids with skip_special_tokens
False and True, the offsets of encode(s, add_special_tokens=True) converted from characters to
UTF-8 bytes, and char_to_token of every character of s (None as -1). The output carries the corpus
itself, so the C++ test reads one file.
"""
import hashlib
import json
import os
import sys

import tokenizers
from tokenizers import Tokenizer

MODELS = ["llama2", "llama3", "qwen3", "gemma3"]


def tokenizer_file(models_dir, name):
    return os.path.join(models_dir, name, "models", "tokenizer.json")


def byte_offsets(text, offsets):
    """tokenizers' Python offsets count characters of the str; ftcore's count UTF-8 bytes."""
    starts = [0]
    for ch in text:
        starts.append(starts[-1] + len(ch.encode("utf-8")))
    return [[starts[a], starts[b]] for a, b in offsets]


def char_to_tokens(enc, text):
    return [-1 if t is None else t for t in (enc.char_to_token(i) for i in range(len(text)))]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    models_dir, corpus_path, out_path = sys.argv[1:]
    with open(corpus_path, encoding="utf-8") as f:
        corpus = json.load(f)
    if not isinstance(corpus, list) or not all(isinstance(s, str) for s in corpus):
        sys.exit(f"{corpus_path}: expected a JSON list of strings")

    result = {
        "reference": f"tokenizers {tokenizers.__version__}",
        "corpus_sha256": hashlib.sha256(open(corpus_path, "rb").read()).hexdigest(),
        "corpus": corpus,
        "models": {},
    }
    for name in MODELS:
        path = tokenizer_file(models_dir, name)
        tok = Tokenizer.from_file(path)
        with_special = tok.encode_batch(corpus, add_special_tokens=True)
        without_special = tok.encode_batch(corpus, add_special_tokens=False)
        cases = []
        for text, enc, enc_plain in zip(corpus, with_special, without_special):
            cases.append({
                "ids": enc.ids,
                "tokens": enc.tokens,
                "ids_no_special": enc_plain.ids,
                "decode": tok.decode(enc.ids, skip_special_tokens=False),
                "decode_skip_special": tok.decode(enc.ids, skip_special_tokens=True),
                "offsets": byte_offsets(text, enc.offsets),
                "char_to_token": char_to_tokens(enc, text),
            })
        result["models"][name] = {"tokenizer_json": os.path.abspath(path), "cases": cases}
        print(f"reference_tokens: {name}: {len(cases)} strings, "
              f"{sum(len(c['ids']) for c in cases)} tokens")

    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    os.replace(tmp, out_path)
    print(f"reference_tokens: wrote {out_path}")


if __name__ == "__main__":
    main()
