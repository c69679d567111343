#!/usr/bin/env python3
"""The ladder with each of several x264 settings for its lower rungs, and its top rung alone,
interleaved: what each setting costs in time and in the 720p rung's PSNR.

bench/ladder.py measures one setting (`--lower-rung-x264`); between two of its runs a shared
VM drifts by more than a setting changes. This runs bench/ladder.py's variant (a) `ladder`
once per setting and (c) `top_rung`, each in a fresh subprocess, in an order that rotates
every round, on bench/ladder.py's source. After round 1, untimed, each setting's 720p rung
is compared with the source as bench/ladder.py does it. Prints the medians, each ladder over
the top rung round by round, and the PSNR. Outputs are deleted; nothing listens on any port.

    .venv/bin/python bench/ladder_options.py --runs 3 "partitions=i4x4:weightb=0:subme=1" \
        "subme=1" "partitions=i4x4:weightb=0" ""

An empty setting is the preset's own.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ladder import OUT_DIR, make_source, measure, quality_720p  # noqa: E402

from motpub.avtools.ladder import plan_ladder  # noqa: E402
from motpub.avtools.probe import probe  # noqa: E402

TOP = "top rung alone"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="+", help="x264-params of the rungs below the top")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60, help="source length")
    args = parser.parse_args()

    src = make_source(args.seconds)
    info = probe(src)
    rung_720p = next(r for r in plan_ladder(info) if r.name == "720p")
    measured = [("ladder", setting) for setting in args.settings] + [("top_rung", None)]
    names = {job: (f"ladder, {job[1]!r}" if job[0] == "ladder" else TOP) for job in measured}
    results: dict[str, list[dict]] = {name: [] for name in names.values()}
    quality: dict[str, dict] = {}
    work = Path(tempfile.mkdtemp(prefix="ladder-options-", dir=OUT_DIR))
    try:
        for round_index in range(args.runs):
            shift = round_index % len(measured)
            for variant, setting in measured[shift:] + measured[:shift]:
                name = names[(variant, setting)]
                numbers, out = measure(variant, src, info, work, setting)
                results[name].append(numbers)
                print(f"round {round_index + 1} {name}: wall {numbers['wall_s']:.1f} s, "
                      f"cpu {numbers['cpu_s']:.1f} s", file=sys.stderr, flush=True)
                if round_index == 0 and variant == "ladder":
                    quality[name] = quality_720p(src, out / "720p", rung_720p.width,
                                                 rung_720p.height, info)
                shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report(results, quality))


def report(results: dict[str, list[dict]], quality: dict[str, dict]) -> str:
    def listed(values: list[float], digits: int = 1) -> str:
        return ", ".join(f"{value:.{digits}f}" for value in values)

    top = results[TOP]
    lines = ["| measured | wall s (per round) | median | CPU s (per round) | median "
             "| over the top rung, wall (per round) | 720p PSNR dB (Y / average) |",
             "|---|---|---:|---|---:|---|---|"]
    for name, rounds in results.items():
        wall = [r["wall_s"] for r in rounds]
        cpu = [r["cpu_s"] for r in rounds]
        ratios = [r["wall_s"] / t["wall_s"] for r, t in zip(rounds, top)]
        scores = quality.get(name, {}).get("encoder")
        psnr = f"{scores['y']:.2f} / {scores['average']:.2f}" if scores else ""
        lines.append(f"| {name} | {listed(wall)} | {statistics.median(wall):.1f} "
                     f"| {listed(cpu)} | {statistics.median(cpu):.1f} "
                     f"| {'' if name == TOP else listed(ratios, 2)} "
                     f"| {psnr} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
