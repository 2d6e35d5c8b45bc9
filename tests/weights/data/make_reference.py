"""Writes reference.safetensors with the reference writer, for the byte-for-byte test of save_file.

Made with safetensors 0.4.5 and torch 1.13.1 (Debian python3-torch), numpy 1.26.4:
    python3 -m venv --system-site-packages /tmp/st-venv
    /tmp/st-venv/bin/pip install safetensors==0.4.5 numpy==1.26.4
    /tmp/st-venv/bin/python tests/weights/data/make_reference.py

The names are chosen so that the reference order (dtype, descending, then name) differs from name
order: a_f64 follows b_i64, g_i8 comes before f_u8. One name needs JSON escapes and non-ASCII text.
test_safetensors.cpp checks the values set here.
"""
import os

import safetensors
import torch
from safetensors.torch import save_file

assert safetensors.__version__ == "0.4.5", safetensors.__version__

tensors = {
    "a_f64": torch.tensor([0.5, -1.25, 3.0], dtype=torch.float64),
    "b_i64": torch.arange(4, dtype=torch.int64).reshape(2, 2),
    "model.layers.0.weight": (torch.arange(6, dtype=torch.float32) * 0.5 - 1).to(torch.bfloat16).reshape(2, 3),
    "c_f16": torch.tensor([1.0, -2.0, 0.25, 65504.0], dtype=torch.float16),
    "d_f32": (torch.arange(8, dtype=torch.float32) / 4).reshape(2, 2, 2),
    "e_i32": torch.tensor([-1, 0, 2147483647], dtype=torch.int32),
    "f_u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
    "g_i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
    "h_i16": torch.tensor([-32768, 32767], dtype=torch.int16),
    "i_bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(3.5),
    "empty": torch.zeros(0, 3),
    "empty_bf16": torch.zeros(4, 0, dtype=torch.bfloat16),
    'odd "name"\\\t\x01 \u00fc\U0001F600': torch.tensor([7.0]),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.safetensors")
save_file(tensors, out, metadata={"format": "pt"})
print(out, os.path.getsize(out), "bytes")
