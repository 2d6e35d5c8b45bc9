#!/usr/bin/env python3
"""Reads a directory of event files with TensorBoard's own EventAccumulator and checks that every
expected scalar (tag, step, value) is there, the value compared at float32 precision.

Usage: tensorboard_check.py EVENTS_DIR EXPECTED.json
EXPECTED.json: {"scalars": [{"tag": "train/loss", "step": 10, "value": 1.25}, ...]}; a value may be
"nan", "inf" or "-inf", which JSON cannot write as numbers.
Exit 0 when all match, 1 otherwise, 2 on bad usage.
"""
import json
import math
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator


def as_float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def expected_value(raw):
    return float(raw) if isinstance(raw, str) else as_float32(raw)


def same_value(actual, expected):
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    return math.isclose(actual, expected, rel_tol=2.0**-23, abs_tol=1e-45)


def load_scalars(events_dir):
    """{tag: {step: value}} as TensorBoard reads the directory."""
    accumulator = event_accumulator.EventAccumulator(
        events_dir, size_guidance={event_accumulator.SCALARS: 0}  # 0: keep every event
    )
    accumulator.Reload()
    tags = accumulator.Tags()[event_accumulator.SCALARS]
    return accumulator.file_version, {
        tag: {event.step: event.value for event in accumulator.Scalars(tag)} for tag in tags
    }


def problems(file_version, scalars, expected):
    # EventAccumulator keeps the number from file_version "brain.Event:2"; None when no event had one.
    if file_version != 2.0:
        yield f"file_version read as {file_version!r}, expected 2.0 (from 'brain.Event:2')"
    for item in expected:
        tag, step, want = item["tag"], item["step"], expected_value(item["value"])
        if tag not in scalars:
            yield f"tag {tag!r} missing (tags read: {sorted(scalars)})"
        elif step not in scalars[tag]:
            yield f"{tag} step {step} missing (steps read: {sorted(scalars[tag])})"
        elif not same_value(scalars[tag][step], want):
            yield f"{tag} step {step}: read {scalars[tag][step]!r}, expected {want!r}"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        expected = json.load(f)["scalars"]
    file_version, scalars = load_scalars(argv[1])
    found = list(problems(file_version, scalars, expected))
    for problem in found:
        print(f"tensorboard_check: {problem}", file=sys.stderr)
    if found:
        print(f"tensorboard_check: FAILED, {len(found)} of {len(expected)} expected scalars wrong", file=sys.stderr)
        return 1
    print(f"tensorboard_check: OK, {len(expected)} scalars in {len(scalars)} tags read back by TensorBoard")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
