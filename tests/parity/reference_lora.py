#!/usr/bin/env python3
"""peft's side of the LoRA parity check (after lora_step has written ftcore's side).

Usage: reference_lora.py PARITY_DIR CASE [CASE ...]

For each CASE (llama, gpt2, or MODEL-dora: ftcore's output PARITY_DIR/lora/CASE from lora_step on the
tiny checkpoint PARITY_DIR/models/MODEL made by reference_models.py):
  - peft.PeftModel.from_pretrained(base, lora/CASE/initial, is_trainable=True), the batch of
    lora/CASE/batch.safetensors, one step as transformers' Trainer takes it: loss (mean cross-entropy
    of the shifted labels), backward, clip_grad_norm_ at max_grad_norm, torch.optim.AdamW with the
    learning rate and weight decay of step.json, constant schedule -> the adapter tensors after it
    (refs/lora-CASE-after.safetensors, PEFT key names) and the loss;
  - peft loads ftcore's adapter after its step (lora/CASE/after): the logits on the batch;
  - transformers loads ftcore's merged directory (lora/CASE/merged) and full fine-tuning output
    (lora/CASE/full, LoRA cases only): their logits on the batch.
Logits go to refs/lora-CASE-logits.safetensors; the numbers to refs/lora.json.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import peft  # noqa: E402
from peft import PeftModel  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

import torch_compat  # noqa: E402

torch_compat.apply()


def base_model(path):
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32)
    model.eval()
    return model


def logits_of(model, batch):
    with torch.no_grad():
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float().contiguous()


def peft_step(model_dir, ftcore_dir, step):
    model = PeftModel.from_pretrained(base_model(model_dir), os.path.join(ftcore_dir, "initial"), is_trainable=True)
    model.train()  # dropout is 0: train mode changes nothing but what transformers' Trainer sets
    batch = load_file(os.path.join(ftcore_dir, "batch.safetensors"))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=step["lr"], weight_decay=step["weight_decay"])
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_(params, step["max_grad_norm"])
    optimizer.step()
    state = peft.get_peft_model_state_dict(model)
    return out.loss.item(), {k: v.detach().contiguous() for k, v in state.items()}, batch


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    parity = sys.argv[1]
    refs = os.path.join(parity, "refs")
    result = {"reference": f"peft {peft.__version__}, torch {torch.__version__}", "cases": {}}
    for case in sys.argv[2:]:
        model_dir = os.path.join(parity, "models", case.split("-")[0])
        ftcore_dir = os.path.join(parity, "lora", case)
        with open(os.path.join(ftcore_dir, "step.json"), encoding="utf-8") as f:
            step = json.load(f)
        loss, after, batch = peft_step(model_dir, ftcore_dir, step)
        save_file(after, os.path.join(refs, f"lora-{case}-after.safetensors"))
        logits = {
            "peft_loads_ftcore_adapter": logits_of(
                PeftModel.from_pretrained(base_model(model_dir), os.path.join(ftcore_dir, "after")), batch),
            "transformers_loads_merged": logits_of(base_model(os.path.join(ftcore_dir, "merged")), batch),
        }
        if os.path.isdir(os.path.join(ftcore_dir, "full")):
            logits["transformers_loads_full"] = logits_of(base_model(os.path.join(ftcore_dir, "full")), batch)
        save_file(logits, os.path.join(refs, f"lora-{case}-logits.safetensors"))
        result["cases"][case] = {"loss": loss, "ftcore_dir": os.path.abspath(ftcore_dir),
                                 "model_dir": os.path.abspath(model_dir), "tensors": sorted(after)}
        print(f"reference_lora: {case}: peft loss {loss:.6f}, {len(after)} adapter tensors")
    with open(os.path.join(refs, "lora.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
