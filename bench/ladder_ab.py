#!/usr/bin/env python3
"""The whole ladder of two or more source trees, interleaved: which one is faster.

bench/ladder.py measures every variant of one tree; between two runs of it a shared VM
drifts by more than a small change saves. This runs only variant (a), `transcode_ladder`
with `plan_ladder(info)`, from each tree in turn (a checkout or a `git worktree` of another
commit; each run is a fresh subprocess that imports that tree's `src/`), for --runs rounds,
on bench/ladder.py's cached source, and prints each round's CPU and wall seconds and the
medians. Outputs go to a temporary directory and are deleted; nothing listens on any port.

    git worktree add /tmp/before <commit>
    .venv/bin/python bench/ladder_ab.py --runs 4 /tmp/before .
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench" / "out"  # bench/ladder.py's; a child must not import that module


def child(tree: Path, src: Path) -> dict:
    sys.path.insert(0, str(tree / "src"))
    from motpub.avtools.ladder import plan_ladder, transcode_ladder
    from motpub.avtools.probe import probe

    info = probe(src)
    out = Path(tempfile.mkdtemp(prefix="ladder-ab-", dir=OUT_DIR))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        transcode_ladder(src, out, info, plan_ladder(info))
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        shutil.rmtree(out)
    return {"wall_s": wall, "cpu_s": after.ru_utime - before.ru_utime
            + after.ru_stime - before.ru_stime}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help="source trees (each has src/)")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="source length")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(child(args.one, args.src)))
        return
    if not args.trees:
        parser.error("name at least one source tree")

    # Imported only here: bench/ladder.py imports this tree's motpub, which a child must not.
    sys.path.insert(0, str(ROOT / "bench"))
    from ladder import CHILD_TIMEOUT_S, make_source

    src = make_source(args.seconds)
    trees = [tree.resolve() for tree in args.trees]
    results: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for round_index in range(args.runs):
        for tree in trees:
            command = [sys.executable, __file__, "--one", str(tree), "--src", str(src)]
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=CHILD_TIMEOUT_S, check=True)
            numbers = json.loads(done.stdout.strip().splitlines()[-1])
            results[tree].append(numbers)
            print(f"round {round_index + 1} {tree}: wall {numbers['wall_s']:.1f} s, "
                  f"cpu {numbers['cpu_s']:.1f} s", file=sys.stderr, flush=True)
    print("| tree | CPU s (per round) | median | wall s (per round) | median |")
    print("|---|---|---:|---|---:|")
    for tree, rounds in results.items():
        cpu = [r["cpu_s"] for r in rounds]
        wall = [r["wall_s"] for r in rounds]
        print(f"| {tree} | {', '.join(f'{x:.1f}' for x in cpu)} | "
              f"{statistics.median(cpu):.1f} | {', '.join(f'{x:.1f}' for x in wall)} | "
              f"{statistics.median(wall):.1f} |")


if __name__ == "__main__":
    main()
