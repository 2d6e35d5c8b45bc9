#!/usr/bin/env python3
"""Reference logits and greedy generations from the pinned transformers, for ftcore's model parity test.

Usage: reference_models.py OUT_DIR [INIT_MODELS_DIR]

Part 1, models made by transformers: for each case below, a tiny random checkpoint of one family is
built from its config class with a fixed seed and saved with save_pretrained (safetensors) under
OUT_DIR/models/<case>/ -- some cases re-save it differently (bf16, sharded, GPT-2 without the
"transformer." prefix and with the attn.bias buffers Hub checkpoints carry). Then, in fp32:
  - logits of a right-padded batch of three sequences with an attention mask, written to
    OUT_DIR/refs/<case>.safetensors (input_ids, attention_mask, logits);
  - model.generate(greedy, 20 new tokens, no EOS) of a prompt.
Part 2, models written by `ftcore init-model` (INIT_MODELS_DIR/<family>/): transformers must load
them (AutoModelForCausalLM, AutoTokenizer); recorded are their logits on a tokenized sentence, the
token ids of a few strings, and apply_chat_template renderings of two conversations.
Everything is indexed in OUT_DIR/refs/models.json.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
import torch_compat  # noqa: E402
from transformers import (AutoModelForCausalLM, AutoTokenizer, GemmaConfig, GPT2Config,  # noqa: E402
                          LlamaConfig, MistralConfig, Qwen2Config)

torch_compat.apply()

VOCAB = 96
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=112, num_hidden_layers=2,
              num_attention_heads=4, max_position_embeddings=128, bos_token_id=None, eos_token_id=None,
              pad_token_id=None, initializer_range=0.25)

# name -> (family handler, config, how the checkpoint is written)
CASES = {
    "llama": ("llama", LlamaConfig(**COMMON, num_key_value_heads=2, head_dim=24, rope_theta=500000.0,
                                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
              "plain"),
    "llama_bias_tied": ("llama", LlamaConfig(**COMMON, num_key_value_heads=4, attention_bias=True, mlp_bias=True,
                                             tie_word_embeddings=True,
                                             rope_scaling={"type": "linear", "factor": 2.0}), "plain"),
    "llama_sharded": ("llama", LlamaConfig(**COMMON, num_key_value_heads=1), "sharded"),
    "llama_bf16": ("llama", LlamaConfig(**COMMON, num_key_value_heads=2), "bf16"),
    "qwen2": ("qwen2", Qwen2Config(**COMMON, num_key_value_heads=2, tie_word_embeddings=True), "plain"),
    "mistral": ("mistral", MistralConfig(**COMMON, num_key_value_heads=2, sliding_window=5), "plain"),
    "gemma": ("gemma", GemmaConfig(**COMMON, num_key_value_heads=1, head_dim=16), "plain"),
    # Dropout off, so that a training step is the same computation on both sides (lora_step).
    "gpt2": ("gpt2", GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4, n_positions=128, resid_pdrop=0.0,
                                embd_pdrop=0.0, attn_pdrop=0.0,
                                bos_token_id=None, eos_token_id=None, initializer_range=0.25), "plain"),
    "gpt2_hub_names": ("gpt2", GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4, n_positions=128,
                                          scale_attn_by_inverse_layer_idx=True, bos_token_id=None,
                                          eos_token_id=None, initializer_range=0.25), "hub_names"),
}

# Right-padded batch: lengths 12, 7 and 3 (pad id 0, masked).
LENGTHS = [12, 7, 3]
PROMPT = [5, 17, 33, 2, 64, 9]
NEW_TOKENS = 20


def save(model, case_dir, how):
    if how == "plain":
        model.save_pretrained(case_dir, safe_serialization=True)
    elif how == "sharded":
        model.save_pretrained(case_dir, safe_serialization=True, max_shard_size="60KB")
        assert os.path.exists(os.path.join(case_dir, "model.safetensors.index.json")), "expected a sharded checkpoint"
    elif how == "bf16":
        model.to(torch.bfloat16).save_pretrained(case_dir, safe_serialization=True)
        model.to(torch.float32)
    elif how == "hub_names":
        # As GPT-2 checkpoints on the Hub are: no "transformer." prefix, causal-mask buffers included.
        model.config.save_pretrained(case_dir)
        tensors = {}
        for name, tensor in model.state_dict().items():
            if name == "lm_head.weight":
                continue
            tensors[name.removeprefix("transformer.")] = tensor.contiguous()
        for i in range(model.config.n_layer):
            n = model.config.n_positions
            tensors[f"h.{i}.attn.bias"] = torch.tril(torch.ones(n, n, dtype=torch.bool)).view(1, 1, n, n)
        save_file(tensors, os.path.join(case_dir, "model.safetensors"), metadata={"format": "pt"})
    else:
        raise ValueError(how)


def reference_case(name, family, config, how, out_dir):
    torch.manual_seed(1234)
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32)
    with torch.no_grad():  # so that norms, biases and the (1 + w) offsets are not trivially 1 or 0
        for pname, p in model.named_parameters():
            if pname.endswith("norm.weight") or ".ln_" in pname or pname.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.1)
    model.eval()
    case_dir = os.path.join(out_dir, "models", name)
    save(model, case_dir, how)
    # The reference computes with what the checkpoint holds (bf16 weights, read back as fp32).
    model = AutoModelForCausalLM.from_pretrained(case_dir, torch_dtype=torch.float32) if how != "hub_names" else model
    model.eval()

    gen = torch.Generator().manual_seed(99)
    batch, length = len(LENGTHS), max(LENGTHS)
    input_ids = torch.zeros(batch, length, dtype=torch.long)
    mask = torch.zeros(batch, length, dtype=torch.long)
    for row, n in enumerate(LENGTHS):
        input_ids[row, :n] = torch.randint(1, VOCAB, (n,), generator=gen)
        mask[row, :n] = 1
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask).logits.float()
        prompt = torch.tensor([PROMPT])
        generated = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=NEW_TOKENS,
                                   min_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=0)
    refs = os.path.join(out_dir, "refs")
    save_file({"input_ids": input_ids, "attention_mask": mask, "logits": logits.contiguous()},
              os.path.join(refs, f"{name}.safetensors"))
    return {"name": name, "family": family, "checkpoint": how, "model_dir": os.path.abspath(case_dir),
            "logits": f"{name}.safetensors", "prompt": PROMPT,
            "greedy": generated[0, len(PROMPT):].tolist()}


INIT_TEXTS = ["Hello world! How are you today?", "Fine-tuning with ftcore: 3 epochs, lr=2e-4.",
              "  spaces\tand\nnewlines  ", "émoji 🙂 and ünïcödé", ""]
INIT_CONVERSATIONS = [
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is LoRA?"},
     {"role": "assistant", "content": "A low-rank adapter."}, {"role": "user", "content": "And QLoRA?"}],
    [{"role": "user", "content": "Weather in Paris?"},
     {"role": "assistant", "content": None, "tool_calls": [
         {"id": "call_1", "type": "function",
          "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
     {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"},
     {"role": "assistant", "content": "It is 18 C and sunny."}],
]


def reference_init_model(family, model_dir, refs):
    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    model.eval()
    sentence = "The quick brown fox jumps over the lazy dog."
    ids = tok(sentence, return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(ids).logits.float()
    save_file({"input_ids": ids, "logits": logits.contiguous()}, os.path.join(refs, f"init-{family}.safetensors"))
    renderings = []
    for conv in INIT_CONVERSATIONS:
        for add_gen in (False, True):
            renderings.append({"messages": conv, "add_generation_prompt": add_gen,
                               "text": tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=add_gen)})
    return {"family": family, "model_dir": os.path.abspath(model_dir), "model_class": type(model).__name__,
            "tokenizer_class": type(tok).__name__, "logits": f"init-{family}.safetensors",
            "sentence": sentence, "texts": [{"text": t, "ids": tok(t).input_ids,
                                             "ids_no_special": tok(t, add_special_tokens=False).input_ids}
                                            for t in INIT_TEXTS],
            "renderings": renderings}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(os.path.join(out_dir, "refs"), exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    result = {"reference": f"transformers {transformers.__version__}, torch {torch.__version__}",
              "cases": [reference_case(name, *spec, out_dir) for name, spec in CASES.items()],
              "init_models": []}
    if len(sys.argv) == 3:
        init_dir = sys.argv[2]
        for family in sorted(os.listdir(init_dir)):
            path = os.path.join(init_dir, family)
            if os.path.isdir(path):
                result["init_models"].append(reference_init_model(family, path, os.path.join(out_dir, "refs")))
    with open(os.path.join(out_dir, "refs", "models.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print(f"reference_models: {len(result['cases'])} checkpoints, {len(result['init_models'])} init-model "
          f"directories -> {out_dir}/refs/models.json")


if __name__ == "__main__":
    main()
