"""Reference numbers for ftcore's bitsandbytes quantisation (test_quant_parity.cpp).

    reference_quant.py OUT.safetensors

bitsandbytes 0.45.0 itself gives the code books (functional.get_4bit_type), the dynamic maps
(create_dynamic_map) and the 8-bit blockwise codes (its CPU quantize_blockwise; the double
quantisation of the 4-bit absmax goes through it too). bitsandbytes has no CPU 4-bit quantiser, so
the 4-bit block maths are written out here in numpy as its CUDA kernel computes them (blocks of 64,
x times the fp32 reciprocal of the block's absmax, dQuantizeNF4's midpoint thresholds and
dQuantizeFP4's literal thresholds with the sign bit, the first element of a pair in the high
nibble), and dequantised as kDequantizeBlockwise does (code * absmax, the nested absmax as
code2 * absmax2 + offset).
"""
import sys

import numpy as np
import torch
import bitsandbytes.functional as F
from safetensors.torch import save_file

FP4_THRESHOLDS = np.array([0.00260417, 0.0859375, 0.20833333, 0.29166667, 0.4166667, 0.583333, 0.8333333], np.float32)
FP4_ORDER = np.array([0, 1, 6, 7, 4, 5, 2, 3])  # magnitude codes in ascending order of their values


def codes_4bit(x, quant_type, code):
    """x: [blocks, 64] float32 -> codes [blocks, 64] and absmax [blocks]."""
    absmax = np.abs(x).max(axis=1)
    scaled = x * (np.float32(1.0) / absmax)[:, None]
    if quant_type == "nf4":
        thresholds = ((code[:-1] + code[1:]) * np.float32(0.5)).astype(np.float32)
        out = (scaled[..., None] > thresholds).sum(axis=-1)
    else:
        magnitude = FP4_ORDER[(np.abs(scaled)[..., None] > FP4_THRESHOLDS).sum(axis=-1)]
        out = magnitude + 8 * (scaled < 0)
    return out.astype(np.int64), absmax.astype(np.float32)


def dequantize_blockwise(codes, absmax, code, blocksize=256):
    """code[codes] * absmax of the block, in float32."""
    values = code[codes.long()]
    index = torch.arange(values.numel()) // blocksize
    return (values * absmax.float()[index]).float()


def main():
    out = {}
    nf4 = F.get_4bit_type("nf4", device="cpu").float()
    fp4 = F.get_4bit_type("fp4", device="cpu").float()
    signed, unsigned = F.create_dynamic_map(True).float(), F.create_dynamic_map(False).float()
    out.update({"code.nf4": nf4, "code.fp4": fp4, "map.signed": signed, "map.unsigned": unsigned})

    gen = torch.Generator().manual_seed(2024)
    for name, shape in {"a": (96, 256), "b": (40, 320), "c": (7, 64)}.items():
        w = (torch.randn(shape, generator=gen) * torch.rand(shape[0], 1, generator=gen) * 3).float()
        out[f"{name}.weight"] = w
        blocks = w.numpy().reshape(-1, 64)
        for quant_type, code in (("nf4", nf4.numpy()), ("fp4", fp4.numpy())):
            codes, absmax = codes_4bit(blocks, quant_type, code)
            flat = codes.reshape(-1)
            packed = (flat[0::2] * 16 + flat[1::2]).astype(np.uint8)
            prefix = f"{name}.{quant_type}"
            out[f"{prefix}.packed"] = torch.from_numpy(packed)
            out[f"{prefix}.absmax"] = torch.from_numpy(absmax)
            out[f"{prefix}.dequant"] = torch.from_numpy((code[codes] * absmax[:, None]).reshape(shape).astype(np.float32))
            # Double quantisation: offset = mean, then bitsandbytes' own 8-bit blockwise codes (blocks of 256).
            absmax_t = torch.from_numpy(absmax)
            offset = absmax_t.mean()
            q, state = F.quantize_blockwise(absmax_t - offset, code=signed.clone(), blocksize=256)
            # Dequantised with the map itself: bitsandbytes' CPU quantiser overwrites code[0] of the map it
            # is given with -1.0 (its CUDA kernels do not), so its own dequantize would use that.
            nested = dequantize_blockwise(q, state.absmax, signed) + offset
            out[f"{prefix}.nested_codes"] = q.clone()
            out[f"{prefix}.nested_absmax2"] = state.absmax.float().clone()
            out[f"{prefix}.offset"] = offset.reshape(1).clone()
            out[f"{prefix}.nested_dequant"] = torch.from_numpy(
                (code[codes] * nested.numpy()[:, None]).reshape(shape).astype(np.float32))
    # 8-bit blockwise (the optimizer states' format) with both maps.
    x = torch.randn(5000, generator=gen)
    out["blockwise.input"] = x
    for label, code in (("signed", signed), ("unsigned", unsigned)):
        values = x if label == "signed" else x.abs()
        q, state = F.quantize_blockwise(values, code=code.clone(), blocksize=256)
        out[f"blockwise.{label}.codes"] = q.clone()
        out[f"blockwise.{label}.absmax"] = state.absmax.float().clone()
        out[f"blockwise.{label}.dequant"] = dequantize_blockwise(q, state.absmax, code)
    save_file({k: v.contiguous() for k, v in out.items()}, sys.argv[1])
    print(f"reference_quant: {len(out)} tensors -> {sys.argv[1]}")


if __name__ == "__main__":
    main()
