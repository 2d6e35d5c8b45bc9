#!/usr/bin/env python3
"""The largest absolute difference between the float tensors of two safetensors files of the same names
and shapes (standard library only): prints "max diff X over N tensors"; exit 1 when a name, shape or
dtype differs or the difference exceeds TOLERANCE.

    safetensors_diff.py A.safetensors B.safetensors TOLERANCE
"""
import json
import struct
import sys

FORMATS = {"F32": ("f", 4), "F64": ("d", 8)}


def read(path):
    """{name: (dtype, shape, values)} of a safetensors file's F32/F64 tensors."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        code, width = FORMATS.get(info["dtype"], (None, None))
        if code is None:
            sys.exit(f"{path}: {name} is {info['dtype']}; only F32 and F64 are compared")
        out[name] = (info["dtype"], info["shape"], struct.unpack(f"<{(end - begin) // width}{code}", data[begin:end]))
    return out


def main():
    a, b, tolerance = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3])
    if sorted(a) != sorted(b):
        sys.exit(f"different tensors: {sorted(set(a) ^ set(b))}")
    worst = 0.0
    for name, (dtype, shape, values) in a.items():
        if (dtype, shape) != b[name][:2]:
            sys.exit(f"{name}: {dtype} {shape} against {b[name][0]} {b[name][1]}")
        worst = max([worst] + [abs(x - y) for x, y in zip(values, b[name][2])])
    print(f"max diff {worst:.3g} over {len(a)} tensors")
    sys.exit(0 if worst <= tolerance else 1)


if __name__ == "__main__":
    main()
