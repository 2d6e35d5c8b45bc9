#!/usr/bin/env python3
"""Summarise a trace written by `ftcore bench --profile FILE`: time per operation name.

Usage: python3 bench/profile_summary.py TRACE.json [--top 25]

Prints, per operation name, its count, its total time and its self time (the total less the time of
the operations it called), sorted by self time: where a step's time goes. The profiler adds a
little time to every operation; read shares, not absolute times.
"""
import argparse
import collections
import json


def load_events(path):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    return [e for e in events if e.get("ph") == "X" and "dur" in e]


def self_times(events):
    """(count, total, self) microseconds per name; nesting is read per thread from the timestamps."""
    stats = collections.defaultdict(lambda: [0, 0.0, 0.0])
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    for thread_events in by_thread.values():
        thread_events.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [end, name, child time]
        for e in thread_events:
            start, end = e["ts"], e["ts"] + e["dur"]
            while stack and stack[-1][0] <= start:
                close(stack.pop(), stack, stats)
            stats[e["name"]][0] += 1
            stats[e["name"]][1] += e["dur"]
            stack.append([end, e["name"], 0.0, e["dur"]])
        while stack:
            close(stack.pop(), stack, stats)
    return stats


def close(frame, stack, stats):
    _, name, children, duration = frame
    stats[name][2] += duration - children
    if stack:
        stack[-1][2] += duration


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    stats = self_times(load_events(args.trace))
    everything = sum(s[2] for s in stats.values())
    print(f"{'operation':40} {'count':>8} {'total ms':>10} {'self ms':>10} {'self %':>7}")
    for name, (count, total, own) in sorted(stats.items(), key=lambda kv: -kv[1][2])[: args.top]:
        print(f"{name[:40]:40} {count:8d} {total / 1e3:10.1f} {own / 1e3:10.1f} {100 * own / everything:6.1f}%")


if __name__ == "__main__":
    main()
