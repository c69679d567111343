#!/usr/bin/env python3
"""Transcode ladder: one ffmpeg process for all rungs against one process per rung.

Generates (once, cached in bench/out/, gitignored) a 60 s 1920x1080 30 fps H.264/AAC source of
realistic difficulty: a panning testsrc2 (the whole frame moves, as with a hand-held camera), a
960x540 Game of Life patch with mould wandering over it (detail that changes every frame) and
film-like temporal grain (uniform noise, luma 8, chroma 3), with a sine + pink-noise stereo
track, all seeded (the same source on every run); libx264 -preset faster -crf 18 (faster
rather than medium only to cut the one-off generation time; the source is then re-encoded by
every variant alike), yuv420p, AAC 192k.

Then, for --runs rounds, runs every variant once per round in a rotating order (so drift in the
load of a shared machine falls on all of them alike), each in a fresh subprocess
(`bench/ladder.py --one VARIANT ...`) so that the peak RSS of its ffmpeg children
(getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest child) is its own:

  ladder        (a) transcode_ladder(src, out, info, plan_ladder(info)): one ffmpeg, 4 rungs
  per_rung      (b) transcode_ladder once per rung with a one-rung list: 4 ffmpegs in turn
  top_rung      (c) transcode_ladder with the 1080p rung only
  first_remux   (d) make_first_playable taking its remux path (-c copy)
  first_encode  (d') make_first_playable taking its re-encode path (360p, ultrafast)
  poster        (e) make_poster
  decode        (f) run_ffmpeg decoding the source's video to -f null: the floor under any
                re-encode of it, to read the others by

Both first-playable paths go through make_first_playable itself on the same file; the path is
chosen by the MediaInfo it is given: the probed one where it already leads there, else the
probed one with only bit_rate changed across REMUX_MAX_BIT_RATE (the only field can_remux
reads that the commands do not use). The report says which path the probed info takes.

Wall time is time.monotonic() around the call, CPU time the RUSAGE_CHILDREN delta (user +
system of the ffmpeg processes), realtime factor = source duration / wall. After round 1 the
720p rung of (a) and of (b) is compared with the source: PSNR against the source scaled to
1280x720 the way the ladder scales it (encoder loss alone) and of the rung upscaled (bicubic)
to 1920x1080 against the source (what a 1080p screen shows); plus whether the two 720p
renditions are byte-identical. libvmaf is used when this ffmpeg has it (Debian's does not).

Prints a markdown table of medians and the ratios against the targets; writes every raw
number to bench/out/ladder-<timestamp>.json. Every output is deleted after it is measured;
nothing listens on any port.

    .venv/bin/python bench/ladder.py --runs 3
    .venv/bin/python bench/ladder.py --report bench/out/ladder-<timestamp>.json  # re-print
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))

from motpub.avtools.ffmpeg import run_ffmpeg  # noqa: E402
from motpub.avtools import ladder  # noqa: E402
from motpub.avtools.ladder import plan_ladder, transcode_ladder  # noqa: E402
from motpub.avtools.poster import make_poster  # noqa: E402
from motpub.avtools.preview import REMUX_MAX_BIT_RATE, can_remux, make_first_playable  # noqa: E402
from motpub.avtools.probe import MediaInfo, probe  # noqa: E402

VARIANTS = ("ladder", "per_rung", "top_rung", "first_remux", "first_encode", "poster", "decode")
LABELS = {
    "ladder": "(a) one process, 4 rungs",
    "per_rung": "(b) one process per rung (4, in turn)",
    "top_rung": "(c) 1080p rung alone",
    "first_remux": "(d) first playable, remux",
    "first_encode": "(d') first playable, 360p re-encode",
    "poster": "(e) poster",
    "decode": "(f) decode only, no output (floor)",
}
SOURCE_PRESET = "faster"
SOURCE_CRF = 18
WIDTH, HEIGHT, FPS = 1920, 1080, 30
GRAIN = "noise=c0s=8:c1s=3:c2s=3:allf=t+u"  # the noise filter's seed is fixed by default
# The Game of Life and the pink noise are seeded too: the same source, and the same PSNR, on
# every machine with the same ffmpeg and core count (x264 threads by cores).
SEED = 7
CHILD_TIMEOUT_S = 3600  # one variant; run_ffmpeg's own stall watchdog is 120 s


# --------------------------------------------------------------------------- the source

def source_filter(seconds: float) -> str:
    return (
        # A 2560x1440 pattern seen through a moving 1920x1080 window: a slow pan and tilt.
        f"testsrc2=s=2560x1440:r={FPS}:d={seconds},"
        f"crop={WIDTH}:{HEIGHT}:x='320+300*sin(2*PI*t/20)':y='180+170*sin(2*PI*t/13)'[bg];"
        # Game of Life with mould: fine detail that changes everywhere on every frame.
        f"life=s=480x270:r={FPS}:mold=20:ratio=0.2:seed={SEED}:life_color=#e0c080:"
        "death_color=#102040:mold_color=#406080,scale=960:540[fg];"
        "[bg][fg]overlay=x='480+400*sin(2*PI*t/9)':y='270+240*cos(2*PI*t/11)':shortest=1,"
        f"{GRAIN},format=yuv420p"
    )


def make_source(seconds: float) -> Path:
    key = hashlib.sha1(f"{source_filter(seconds)}|{SOURCE_PRESET}|{SOURCE_CRF}|v1".encode())
    path = OUT_DIR / f"ladder-source-{seconds:g}s-1080p30-{key.hexdigest()[:8]}.mp4"
    if path.is_file():
        return path
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    audio = (f"sine=f=440:r=48000:d={seconds}[s];"
             f"anoisesrc=r=48000:c=pink:a=0.08:d={seconds}:seed={SEED}[n];"
             "[s][n]amix=inputs=2,aformat=channel_layouts=stereo")
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", source_filter(seconds), "-f", "lavfi", "-i", audio,
               "-map", "0:v", "-map", "1:a", "-t", f"{seconds}",
               "-c:v", "libx264", "-preset", SOURCE_PRESET, "-crf", str(SOURCE_CRF),
               "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart",
               str(partial)]
    print(f"generating the source ({seconds:g} s, preset {SOURCE_PRESET}, crf {SOURCE_CRF})"
          " - once, then cached ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL, timeout=CHILD_TIMEOUT_S)
    partial.rename(path)
    print(f"  {path.name} in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return path


# --------------------------------------------------------------------------- one variant (child)

def info_for(variant: str, info: MediaInfo) -> MediaInfo:
    """The MediaInfo that sends make_first_playable down the path `variant` names."""
    if variant == "first_remux" and not can_remux(info):
        info = dataclasses.replace(info, bit_rate=REMUX_MAX_BIT_RATE)
    elif variant == "first_encode" and can_remux(info):
        info = dataclasses.replace(info, bit_rate=REMUX_MAX_BIT_RATE + 1)
    if variant.startswith("first") and can_remux(info) != (variant == "first_remux"):
        raise SystemExit(f"{variant}: this source cannot take that path by its bit rate alone")
    return info


def run_variant(variant: str, src: Path, out: Path, info: MediaInfo) -> None:
    rungs = plan_ladder(info)
    if variant == "ladder":
        transcode_ladder(src, out, info, rungs)
    elif variant == "per_rung":
        for rung in rungs:
            transcode_ladder(src, out, info, [rung])
    elif variant == "top_rung":
        transcode_ladder(src, out, info, rungs[:1])
    elif variant in ("first_remux", "first_encode"):
        make_first_playable(src, out, info_for(variant, info))
    elif variant == "poster":
        make_poster(src, out / "poster.jpg", info)
    elif variant == "decode":
        run_ffmpeg(["-i", str(src), "-map", "0:V:0", "-f", "null", "-"],
                   duration_s=info.duration_s)
    else:
        raise ValueError(variant)


def child(variant: str, src: Path, out: Path, info: MediaInfo) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    run_variant(variant, src, out, info)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": wall,
        "cpu_user_s": after.ru_utime - before.ru_utime,
        "cpu_sys_s": after.ru_stime - before.ru_stime,
        "peak_rss_mb": after.ru_maxrss / 1024,  # KiB on Linux: the largest ffmpeg child
    }


# --------------------------------------------------------------------------- measuring (parent)

def measure(variant: str, src: Path, info: MediaInfo, work: Path,
            lower_rung_x264: str | None = None) -> tuple[dict, Path]:
    out = Path(tempfile.mkdtemp(prefix=f"{variant}-", dir=work))
    command = [sys.executable, str(Path(__file__).resolve()), "--one", variant,
               "--src", str(src), "--out", str(out),
               "--info", json.dumps(dataclasses.asdict(info))]
    if lower_rung_x264 is not None:
        command.append(f"--lower-rung-x264={lower_rung_x264}")
    load = os.getloadavg()[0]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=CHILD_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{result.stderr[-4000:]}")
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    numbers["cpu_s"] = numbers["cpu_user_s"] + numbers["cpu_sys_s"]
    numbers["realtime_x"] = info.duration_s / numbers["wall_s"]
    numbers["load_1min_before"] = load
    numbers["outputs"] = output_sizes(out, info.duration_s)
    return numbers, out


def output_sizes(out: Path, duration_s: float) -> dict:
    sizes = {}
    for entry in sorted(out.iterdir()):
        total = (sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
                 if entry.is_dir() else entry.stat().st_size)
        sizes[entry.name] = {"bytes": total, "mbps": total * 8 / duration_s / 1e6}
    return sizes


def rendition_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.iterdir() if p.suffix in (".mp4", ".m4s")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def has_vmaf() -> bool:
    filters = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True,
                             text=True, check=False).stdout
    return re.search(r"\blibvmaf\b", filters) is not None


PSNR_LINE = re.compile(r"\[psnr@(\w+) @ [^\]]+\] PSNR y:(\S+) u:(\S+) v:(\S+) average:(\S+) "
                       r"min:(\S+) max:(\S+)")


def quality_720p(src: Path, rung_dir: Path, rung_w: int, rung_h: int, info: MediaInfo) -> dict:
    """PSNR of a 720p rendition against the source, both ways (see the module docstring)."""
    graph = (
        "[0:v]setpts=PTS-STARTPTS,split=2[src_a][src_b];"
        f"[src_a]scale={rung_w}:{rung_h},setsar=1,format=yuv420p[ref_small];"
        "[1:v]setpts=PTS-STARTPTS,split=2[rung_a][rung_b];"
        "[rung_a][ref_small]psnr@encoder;"
        f"[rung_b]scale={info.width}:{info.height}:flags=bicubic,setsar=1,format=yuv420p[up];"
        "[up][src_b]psnr@upscaled"
    )
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(src),
               "-i", str(rung_dir / "index.m3u8"), "-lavfi", graph, "-f", "null", "-"]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=CHILD_TIMEOUT_S, check=True)
    scores = {}
    for match in PSNR_LINE.finditer(result.stderr):
        name, y, u, v, average, low, high = match.groups()
        scores[name] = {"y": float(y), "u": float(u), "v": float(v),
                        "average": float(average), "min": float(low)}
    frames = re.findall(r"frame=\s*(\d+)", result.stderr)
    scores["frames_compared"] = int(frames[-1]) if frames else None
    return scores


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    version = subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True,
                             text=True, check=False).stdout.splitlines()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kib / 1024**2, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "ffmpeg": version}


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(runs: list[dict], info: MediaInfo, src: Path, quality: dict, identical: bool | None,
           natural_path: str, meta: dict) -> str:
    by_variant = {v: [r for r in runs if r["variant"] == v] for v in VARIANTS}
    med = {v: {k: median([r[k] for r in rs]) for k in ("wall_s", "cpu_s", "realtime_x",
                                                       "peak_rss_mb")}
           for v, rs in by_variant.items()}
    lines = [
        f"Source: {src.name}: {info.width}x{info.height} {info.frame_rate:g} fps "
        f"{info.video_codec} {info.video_profile}, {info.duration_s:.1f} s, "
        f"{info.bit_rate / 1e6:.1f} Mb/s; {len(runs) // len(VARIANTS)} rounds; "
        f"1-min load average before each measurement: "
        f"{min(r['load_1min_before'] for r in runs):.1f} to "
        f"{max(r['load_1min_before'] for r in runs):.1f} on {meta['machine']['cores']} cores.",
        "",
        "| variant | wall s (median) | wall s (per round) | CPU s | cores busy | realtime x "
        "| peak RSS MB |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for v in VARIANTS:
        walls = ", ".join(f"{r['wall_s']:.1f}" for r in sorted(by_variant[v],
                                                               key=lambda r: r["round"]))
        m = med[v]
        lines.append(f"| {LABELS[v]} | {m['wall_s']:.1f} | {walls} | {m['cpu_s']:.1f} "
                     f"| {m['cpu_s'] / m['wall_s']:.2f} | {m['realtime_x']:.2f} "
                     f"| {m['peak_rss_mb']:.0f} |")

    def paired(num: str, den: str, key: str = "wall_s") -> list[float]:
        rounds = sorted({r["round"] for r in runs})
        values = {(r["round"], r["variant"]): r[key] for r in runs}
        return [values[(k, num)] / values[(k, den)] for k in rounds]

    ratios = [
        ("(b)/(a): per-rung processes over one process", "per_rung", "ladder", ">=", 1.6),
        ("(a)/(c): whole ladder over its 1080p rung alone", "ladder", "top_rung", "<=", 1.5),
        ("(d)/(a): first playable, remux, over the ladder", "first_remux", "ladder", "<=", 0.15),
        ("(d')/(a): first playable, re-encode, over the ladder", "first_encode", "ladder", "<=",
         0.15),
    ]
    lines += ["", "| ratio | wall, of medians | wall, per round | CPU, of medians "
              "| CPU, per round | target (wall) | met (wall) |",
              "|---|---:|---|---:|---|---:|---|"]
    for label, num, den, op, target in ratios:
        value = med[num]["wall_s"] / med[den]["wall_s"]
        cpu = med[num]["cpu_s"] / med[den]["cpu_s"]
        met = value >= target if op == ">=" else value <= target
        per_round = ", ".join(f"{x:.2f}" for x in paired(num, den))
        cpu_round = ", ".join(f"{x:.2f}" for x in paired(num, den, "cpu_s"))
        lines.append(f"| {label} | {value:.2f} | {per_round} | {cpu:.2f} | {cpu_round} "
                     f"| {op} {target} | {'yes' if met else 'NO'} |")
    lines.append(f"\nThe probed source takes the **{natural_path}** path of "
                 "make_first_playable.")

    ladder_sizes = by_variant["ladder"][0]["outputs"]
    per_rung_sizes = by_variant["per_rung"][0]["outputs"]
    lines += ["", "| rendition | size (a) MB | Mb/s (a) | size (b) MB | Mb/s (b) |",
              "|---|---:|---:|---:|---:|"]
    for name in [r.name for r in plan_ladder(info)]:
        size = ladder_sizes[name]
        other = per_rung_sizes.get(name, {"bytes": 0, "mbps": 0})
        lines.append(f"| {name} | {size['bytes'] / 1e6:.1f} | {size['mbps']:.2f} | "
                     f"{other['bytes'] / 1e6:.1f} | {other['mbps']:.2f} |")
    for v in ("first_remux", "first_encode", "poster"):
        for name, size in by_variant[v][0]["outputs"].items():
            amount = (f"{size['bytes'] / 1e3:.0f} kB" if size["bytes"] < 1e6
                      else f"{size['bytes'] / 1e6:.1f} MB")
            lines.append(f"| {name} ({v}) | {amount} | {size['mbps']:.2f} | | |")

    lines += ["", "| 720p rung vs source (PSNR dB) | Y | U | V | average | min | frames |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for v in ("ladder", "per_rung"):
        scores = quality.get(v, {})
        for key, text in (("encoder", "vs source scaled to 1280x720 (encoder loss)"),
                          ("upscaled", "upscaled to 1920x1080 vs source")):
            s = scores.get(key)
            if s:
                lines.append(f"| {v} {text} | {s['y']:.2f} | {s['u']:.2f} | {s['v']:.2f} | "
                             f"{s['average']:.2f} | {s['min']:.2f} | "
                             f"{scores.get('frames_compared')} |")
    if identical is not None:
        lines.append(f"\n720p segments of (a) and (b) byte-identical: "
                     f"{'yes' if identical else 'no'}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (each runs every variant)")
    parser.add_argument("--seconds", type=float, default=60, help="source length")
    parser.add_argument("--label", default="", help="suffix for the JSON file name")
    parser.add_argument("--report", metavar="JSON", help="re-print the tables of a raw file")
    parser.add_argument("--lower-rung-x264", metavar="PARAMS",
                        help="x264 parameters of the rungs below the top instead of "
                             f"{ladder.LOWER_RUNG_X264_PARAMS!r} ('' for the preset's own)")
    parser.add_argument("--one", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:  # the child: one variant, its numbers as one JSON line on stdout
        info = MediaInfo(**json.loads(args.info))
        if args.lower_rung_x264 is not None:
            ladder.LOWER_RUNG_X264_PARAMS = args.lower_rung_x264
        print(json.dumps(child(args.one, Path(args.src), Path(args.out), info)))
        return

    if args.report:
        raw = json.loads(Path(args.report).read_text())
        info = MediaInfo(**raw["source"]["info"])
        print(report(raw["runs"], info, Path(raw["source"]["path"]), raw["quality_720p"],
                     raw["identical_720p"], raw["first_playable_path_for_probed_info"], raw))
        return

    started = time.monotonic()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    src = make_source(args.seconds)
    info = probe(src)
    natural_path = "remux" if can_remux(info) else "re-encode"
    print(f"source: {info}", file=sys.stderr, flush=True)
    meta = {"machine": machine(), "command": " ".join(["bench/ladder.py", *sys.argv[1:]]),
            "source": {"path": src.name, "bytes": src.stat().st_size,
                       "info": dataclasses.asdict(info), "preset": SOURCE_PRESET,
                       "crf": SOURCE_CRF, "filter": source_filter(args.seconds)},
            "rungs": [dataclasses.asdict(r) for r in plan_ladder(info)],
            "first_playable_path_for_probed_info": natural_path, "vmaf_available": has_vmaf()}
    runs, quality, identical = [], {}, None
    work = Path(tempfile.mkdtemp(prefix=f"ladder-work-{stamp}-", dir=OUT_DIR))
    try:
        for round_index in range(args.runs):
            shift = round_index % len(VARIANTS)
            order = VARIANTS[shift:] + VARIANTS[:shift]
            kept = {}
            for variant in order:
                numbers, out = measure(variant, src, info, work, args.lower_rung_x264)
                numbers.update(round=round_index + 1, variant=variant)
                runs.append(numbers)
                print(f"round {round_index + 1} {variant:13s} wall {numbers['wall_s']:7.1f} s  "
                      f"cpu {numbers['cpu_s']:7.1f} s  rss {numbers['peak_rss_mb']:6.0f} MB  "
                      f"load {numbers['load_1min_before']:.1f}", file=sys.stderr, flush=True)
                if round_index == 0 and variant in ("ladder", "per_rung"):
                    kept[variant] = out
                else:
                    shutil.rmtree(out)
            if kept:  # after round 1, untimed: the quality of the 720p rung of (a) and (b)
                rung = next(r for r in plan_ladder(info) if r.name == "720p")
                for variant, out in kept.items():
                    quality[variant] = quality_720p(src, out / "720p", rung.width, rung.height,
                                                    info)
                    print(f"psnr {variant}: {quality[variant]}", file=sys.stderr, flush=True)
                identical = (rendition_digest(kept["ladder"] / "720p")
                             == rendition_digest(kept["per_rung"] / "720p"))
                for out in kept.values():
                    shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta["elapsed_s"] = time.monotonic() - started
    table = report(runs, info, src, quality, identical, natural_path, meta)
    result = OUT_DIR / f"ladder-{stamp}{'-' + args.label if args.label else ''}.json"
    result.write_text(json.dumps({**meta, "runs": runs, "quality_720p": quality,
                                  "identical_720p": identical, "table": table}, indent=2))
    print(table)
    print(f"\nraw numbers: {result.relative_to(ROOT)}; total {meta['elapsed_s'] / 60:.1f} min",
          flush=True)


if __name__ == "__main__":
    main()
