"""peft's side of the AdaLoRA parity check (after adalora_steps; see adalora_steps.cpp).

    reference_adalora.py PARITY_DIR CASE...

For each CASE (a model under PARITY_DIR/models, ftcore's outputs under PARITY_DIR/adalora/CASE): the
same AdaLoRA (init_r 6, target_r 2, tinit 2, tfinal 2, total_step 10, alpha 16) from ftcore's initial
adapter, ten steps of torch AdamW (lr 1e-2, no decay, no clipping) on ftcore's batch with peft's
AdaLoraModel.update_and_allocate(global_step) after each step, as peft documents the loop. Compared
with ftcore: each step's loss (cross entropy + orthogonality penalty), each step's rank pattern, the
final truncated adapter tensors; then PeftModel.from_pretrained loads ftcore's final adapter and its
logits are compared with ftcore's. The numbers go to PARITY_DIR/refs/adalora.json.
"""
import json
import os
import sys

import torch
from peft import AdaLoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
STEPS = 10


def patterns_of(rank_pattern):
    """{name.lora_E[.default]: [bool]} -> {name: [bool]}."""
    out = {}
    for key, value in (rank_pattern or {}).items():
        name = key.replace(".default", "")
        out[name[: -len(".lora_E")]] = [bool(v) for v in value]
    return out


def run_case(parity, case):
    here = os.path.join(parity, "adalora", case)
    model_dir = os.path.join(parity, "models", case)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    config = AdaLoraConfig(init_r=6, target_r=2, tinit=2, tfinal=2, deltaT=1, total_step=STEPS, lora_alpha=16,
                           lora_dropout=0.0, target_modules=TARGETS, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    initial = load_file(os.path.join(here, "initial", "adapter_model.safetensors"))
    result = set_peft_model_state_dict(peft_model, initial)
    assert not result.unexpected_keys, result.unexpected_keys
    peft_model.train()
    batch = load_file(os.path.join(here, "batch.safetensors"))
    params = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2, weight_decay=0.0, foreach=False)
    with open(os.path.join(here, "steps.json"), encoding="utf-8") as f:
        ours = json.load(f)
    assert len(ours) == STEPS, f"ftcore logged {len(ours)} steps"
    loss_diff, pattern_steps_equal, first_pattern_step = 0.0, 0, None
    for global_step in range(STEPS):
        out = peft_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
        out.loss.backward()
        optimizer.step()
        peft_model.base_model.update_and_allocate(global_step)
        optimizer.zero_grad()
        loss_diff = max(loss_diff, abs(out.loss.item() - ours[global_step]["loss"]))
        # peft's rank_pattern lists the layers in module order, as ftcore's state does; None before the first mask.
        rank_pattern = peft_model.peft_config["default"].rank_pattern
        theirs = list(patterns_of(rank_pattern).values()) if rank_pattern else None
        if theirs == ours[global_step]["rank_pattern"]:
            pattern_steps_equal += 1
        elif first_pattern_step is None:
            first_pattern_step = global_step + 1
    final = get_peft_model_state_dict(peft_model)
    after = load_file(os.path.join(here, "after", "adapter_model.safetensors"))
    tensor_diff, shapes_equal = 0.0, set(final) == set(after)
    for key, value in final.items():
        if key not in after or after[key].shape != value.shape:
            shapes_equal = False
            continue
        if value.numel():
            tensor_diff = max(tensor_diff, (value - after[key]).abs().max().item())

    # peft loads ftcore's final adapter (truncated by its rank_pattern) and computes ftcore's logits.
    base = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    loaded = PeftModel.from_pretrained(base, os.path.join(here, "after"))
    loaded.eval()
    with torch.no_grad():
        logits = loaded(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    mask = batch["attention_mask"].bool()
    ftcore_logits = load_file(os.path.join(here, "logits.safetensors"))["logits"]
    logits_diff = (logits[mask] - ftcore_logits[mask]).abs().max().item()
    with open(os.path.join(here, "after", "adapter_config.json"), encoding="utf-8") as f:
        kept = sum(sum(v) for v in json.load(f)["rank_pattern"].values())
    return {"steps": STEPS, "loss_max_diff": loss_diff, "pattern_steps_equal": pattern_steps_equal,
            "first_pattern_difference": first_pattern_step, "adapter_shapes_equal": shapes_equal,
            "adapter_max_diff": tensor_diff, "peft_logits_max_diff": logits_diff, "kept_ranks": kept,
            "target_budget": 2 * len([k for k in after if k.endswith(".lora_A")])}


def main():
    parity, cases = sys.argv[1], sys.argv[2:]
    result = {case: run_case(parity, case) for case in cases}
    for case, numbers in result.items():
        print(f"reference_adalora: {case}: {numbers}")
    with open(os.path.join(parity, "refs", "adalora.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
