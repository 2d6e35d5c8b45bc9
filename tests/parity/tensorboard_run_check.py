#!/usr/bin/env python3
"""The event files of a real ftcore run, read by TensorBoard itself: every value of the run's
metrics.jsonl (each tag at each step) must be there, and no other tag. Then, live: `ftcore run
--tensorboard-only PORT` must start the real TensorBoard, whose HTTP API lists the run's tags.

Usage: tensorboard_run_check.py FTCORE RUN_DIR
RUN_DIR: an ftcore output directory (logs/training/ holds the events and metrics.jsonl).
Exit 0 when all holds, 1 otherwise, 2 on bad usage.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from tensorboard_check import load_scalars, problems


def expected_scalars(metrics_file):
    out = []
    with open(metrics_file, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            for key, value in entry.items():
                if key not in ("step", "epoch") and isinstance(value, (int, float)):
                    out.append({"tag": key, "step": entry["step"], "value": value})
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_tags(ftcore, run_dir, deadline_s=90):
    """Starts ftcore run --tensorboard-only on a free port; the tags TensorBoard serves for the run."""
    port = free_port()
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("FTCORE_TENSORBOARD", None)
    server = subprocess.Popen([ftcore, "run", "--tensorboard-only", str(port), "--output", run_dir], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        start = time.time()
        while time.time() - start < deadline_s:
            if server.poll() is not None:
                raise RuntimeError("ftcore run --tensorboard-only exited with %d: %s" %
                                   (server.returncode, server.stdout.read().decode(errors="replace")))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/data/plugin/scalars/tags" % port, timeout=5) as r:
                    runs = json.load(r)
                if runs.get("training"):
                    return set(runs["training"])
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("TensorBoard served no run 'training' within %d s" % deadline_s)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ftcore, run_dir = argv[1], argv[2]
    expected = expected_scalars(os.path.join(run_dir, "logs", "training", "metrics.jsonl"))
    file_version, scalars = load_scalars(os.path.join(run_dir, "logs", "training"))
    found = list(problems(file_version, scalars, expected))
    tags = {item["tag"] for item in expected}
    if set(scalars) != tags:
        found.append("tags read %s, metrics.jsonl has %s" % (sorted(scalars), sorted(tags)))
    served = served_tags(ftcore, run_dir)
    if served != tags:
        found.append("TensorBoard's server lists %s, metrics.jsonl has %s" % (sorted(served), sorted(tags)))
    for problem in found:
        print("tensorboard_run_check: %s" % problem, file=sys.stderr)
    if found:
        return 1
    print("tensorboard_run_check: OK, %d values in %d tags of a real run read back; the served run lists them all"
          % (len(expected), len(tags)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
