#!/usr/bin/env python3
"""Checks that every checkpoint folder and artefact in an ftcore output directory is whole.

Usage: check_outputs.py OUTPUT_DIR

A checkpoint folder (checkpoints/checkpoint-N, last, best) is whole when it has its four files,
trainer_state.json parses (and says step N for checkpoint-N), and every .safetensors file in it
(the method's artefact folder included) has a valid header whose tensors end where the file ends.
Folders under ftcore's temporary names (".NAME.ftcore-*") are not results and are not checked.
Prints one line per problem; exit status 1 when there is any.
"""
import json
import os
import struct
import sys

CHECKPOINT_FILES = ["trainer_state.json", "trainable.safetensors", "optimizer.safetensors", "rng.safetensors"]


def safetensors_problem(path):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            return "shorter than 8 bytes"
        (n,) = struct.unpack("<Q", raw)
        if 8 + n > size:
            return "header runs past the end"
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            return "header is not JSON (%s)" % e
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"]
    if 8 + n + max(ends, default=0) != size:
        return "tensors end at %d, the file at %d" % (8 + n + max(ends, default=0), size)
    return None


def folder_problems(folder, checkpoint):
    problems = []
    if checkpoint:
        for name in CHECKPOINT_FILES:
            if not os.path.isfile(os.path.join(folder, name)):
                problems.append("%s: no %s" % (folder, name))
        state = os.path.join(folder, "trainer_state.json")
        if os.path.isfile(state):
            try:
                step = json.load(open(state))["step"]
                base = os.path.basename(folder)
                if base.startswith("checkpoint-") and step != int(base[len("checkpoint-"):]):
                    problems.append("%s: trainer_state.json says step %s" % (folder, step))
            except (ValueError, KeyError) as e:
                problems.append("%s: trainer_state.json is not whole (%s)" % (folder, e))
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if ".ftcore-" not in d]
        for name in files:
            path = os.path.join(root, name)
            if name.endswith(".safetensors"):
                why = safetensors_problem(path)
                if why:
                    problems.append("%s: %s" % (path, why))
            elif name.endswith(".json"):
                try:
                    json.load(open(path))
                except ValueError as e:
                    problems.append("%s: not JSON (%s)" % (path, e))
    return problems


def main():
    out = sys.argv[1]
    problems = []
    checkpoints = os.path.join(out, "checkpoints")
    if os.path.isdir(checkpoints):
        for name in sorted(os.listdir(checkpoints)):
            if name.startswith("."):
                continue
            problems += folder_problems(os.path.join(checkpoints, name), checkpoint=True)
    for artefact in ("lora", "full", "merged"):
        if os.path.isdir(os.path.join(out, artefact)):
            problems += folder_problems(os.path.join(out, artefact), checkpoint=False)
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
