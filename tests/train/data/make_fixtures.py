"""Writes the reference numbers for tests/train (test_optimizer, test_schedule, test_gradients).

Made with Debian's torch 1.13.1 (python3-torch) and transformers 4.46.3, safetensors 0.4.5 (the parity
venv, tests/parity/setup_parity.sh, which has the system site-packages):
    build/parity/venv/bin/python tests/train/data/make_fixtures.py

adamw.safetensors    torch.optim.AdamW(foreach=False): initial params, the grads of every step (a
                     missing name: that param has no grad that step), params after every step and
                     the final exp_avg / exp_avg_sq. The lr of each step and the groups are in
                     adamw.json.
adafactor.*          transformers.optimization.Adafactor as the HF Trainer builds it for
                     optim="adafactor" (scale_parameter=False, relative_step=False): the same layout
                     as adamw.*, with 1-, 2- and 3-dimensional params (factored from 2 dimensions) and
                     the final exp_avg_sq_row / exp_avg_sq_col / exp_avg_sq.
schedules.json       transformers.get_scheduler's lr for steps 0..total+2 (LambdaLR, read from the
                     optimizer before each optimizer step), and TrainingArguments.get_warmup_steps.
clip.safetensors     torch.nn.utils.clip_grad_norm_: grads before and after, and the total norm, for
                     a max_norm that clips and one that does not; clip.json lists the cases.
"""
import json
import math
import os
import tempfile

import torch
import transformers
from safetensors.torch import save_file
from transformers import TrainingArguments, get_scheduler

assert torch.__version__.startswith("1.13"), torch.__version__
assert transformers.__version__ == "4.46.3", transformers.__version__

HERE = os.path.dirname(os.path.abspath(__file__))


def dump_json(name, value):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def optimizer_steps(seed, shapes, groups, lrs, missing, make_optimizer, grad_scale=lambda i: 1.0):
    """Seeded params, then for each step seeded grads (none for the params in missing[step]) and one
    step at that lr. Returns the params, the optimizer and the tensors to save (init, grads, params)."""
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=gen).requires_grad_() for s in shapes]
    out = {f"init.{i}": p.detach().clone() for i, p in enumerate(params)}
    opt = make_optimizer([{"params": [params[i] for i in g["params"]], "weight_decay": g["weight_decay"]} for g in groups],
                         lrs[0])
    for step, lr in enumerate(lrs):
        for i, p in enumerate(params):
            if i in missing.get(step, []):
                p.grad = None
            else:
                p.grad = torch.randn(shapes[i], generator=gen) * grad_scale(i)
                out[f"grad.{step}.{i}"] = p.grad.clone()
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        for i, p in enumerate(params):
            out[f"param.{step}.{i}"] = p.detach().clone()
    return params, opt, out


def adamw():
    shapes = [[4, 3], [5], [2, 2, 3], [3]]
    groups = [{"params": [0, 1], "weight_decay": 0.0}, {"params": [2, 3], "weight_decay": 0.1}]
    lrs = [1e-2, 2e-2, 3e-2, 2.5e-2, 1e-2]
    missing = {2: [1], 3: [3]}  # step -> params without a grad that step
    params, opt, out = optimizer_steps(
        1234, shapes, groups, lrs, missing,
        lambda param_groups, lr: torch.optim.AdamW(param_groups, lr=lr, betas=(0.9, 0.999), eps=1e-8, foreach=False))
    for i, p in enumerate(params):
        out[f"exp_avg.{i}"] = opt.state[p]["exp_avg"].clone()
        out[f"exp_avg_sq.{i}"] = opt.state[p]["exp_avg_sq"].clone()
    save_file(out, os.path.join(HERE, "adamw.safetensors"))
    dump_json("adamw.json", {"shapes": shapes, "groups": groups, "lrs": lrs, "betas": [0.9, 0.999], "eps": 1e-8,
                             "param_steps": [int(opt.state[p]["step"].item()) for p in params]})


def adafactor():
    from transformers.optimization import Adafactor
    shapes = [[6, 5], [7], [3, 4, 5], [4, 9]]
    groups = [{"params": [0, 1], "weight_decay": 0.0}, {"params": [2, 3], "weight_decay": 0.1}]
    lrs = [1e-2, 2e-2, 3e-2, 2.5e-2, 1e-2, 5e-3]
    missing = {2: [1], 4: [3]}
    params, opt, out = optimizer_steps(
        4321, shapes, groups, lrs, missing,
        lambda param_groups, lr: Adafactor(param_groups, lr=lr, scale_parameter=False, relative_step=False),
        grad_scale=lambda i: 0.1 * (i + 1))
    for i, p in enumerate(params):
        for name in ("exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq"):
            if name in opt.state[p]:
                out[f"{name}.{i}"] = opt.state[p][name].clone()
    save_file(out, os.path.join(HERE, "adafactor.safetensors"))
    dump_json("adafactor.json", {"shapes": shapes, "groups": groups, "lrs": lrs,
                                 "param_steps": [int(opt.state[p]["step"]) for p in params]})


def schedules():
    cases = []
    settings = [(0, 10, 1e-3), (3, 10, 1e-3), (10, 10, 5e-5), (5, 100, 2e-4), (1, 7, 3e-4), (0, 1, 1e-4)]
    names = {"constant": "constant_with_warmup", "linear": "linear", "cosine": "cosine", "polynomial": "polynomial"}
    for kind, hf_name in names.items():
        for warmup, total, base_lr in settings:
            if kind == "polynomial" and warmup == total:
                continue  # transformers divides by zero at step == total
            param = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.SGD([param], lr=base_lr)
            sched = get_scheduler(hf_name, opt, num_warmup_steps=warmup, num_training_steps=total)
            lrs = []
            for _ in range(total + 3):
                lrs.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
            cases.append({"kind": kind, "warmup": warmup, "total": total, "base_lr": base_lr, "lrs": lrs})
    # transformers' own "constant" (no warmup) must equal ours with warmup 0.
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1e-3)
    sched = get_scheduler("constant", opt)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    cases.append({"kind": "constant", "warmup": 0, "total": 2, "base_lr": 1e-3, "lrs": lrs})

    warmups = []
    with tempfile.TemporaryDirectory() as tmp:
        for steps, ratio, total in [(0, 0.1, 7), (0, 0.3, 10), (0, 0.1, 3), (0, 0.0, 10), (5, 0.5, 10),
                                    (0, 0.03, 333), (0, 0.07, 100), (0, 1.0, 17), (0, 0.1, 1000), (0, 0.05, 0)]:
            args = TrainingArguments(output_dir=tmp, warmup_steps=steps, warmup_ratio=ratio, report_to=[])
            warmups.append({"steps": steps, "ratio": ratio, "total": total, "expected": args.get_warmup_steps(total)})
    dump_json("schedules.json", {"schedules": cases, "warmup_steps": warmups})


def clip():
    gen = torch.Generator().manual_seed(99)
    shapes = [[3, 4], [7], [2, 5]]
    out, cases = {}, []
    for case, max_norm in enumerate([1.0, 100.0, 0.5]):
        params = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
        for i, p in enumerate(params):
            if not (case == 2 and i == 1):  # case 2: param 1 has no grad
                p.grad = torch.randn(shapes[i], generator=gen) * (i + 1)
                out[f"{case}.before.{i}"] = p.grad.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        for i, p in enumerate(params):
            if p.grad is not None:
                out[f"{case}.after.{i}"] = p.grad.clone()
        out[f"{case}.total"] = total.reshape(1).clone()
        cases.append({"max_norm": max_norm, "total": total.item()})
    save_file(out, os.path.join(HERE, "clip.safetensors"))
    dump_json("clip.json", {"shapes": shapes, "cases": cases})


if __name__ == "__main__":
    adamw()
    adafactor()
    schedules()
    clip()
