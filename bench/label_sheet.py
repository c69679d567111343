#!/usr/bin/env python3
"""Time to draw a label sheet: `printing.labels.label_sheet` on --labels labels, each with a
title in every language asked for, in a fresh process. CPU seconds of --runs sheets in a
row: the first includes loading the fonts, the rest show what a warm worker pays.

No database, no server: the drawing alone, as the request or the label job calls it. The
tree measured is the one on PYTHONPATH, so the same script times two checkouts:

    PYTHONPATH=src .venv/bin/python bench/label_sheet.py --labels 100 --languages zh,en
    PYTHONPATH=src .venv/bin/python bench/label_sheet.py --labels 100 \
        --languages zh,zh-Hant,ar,th,hi,ru,en

A tree from before many-script sheets (one CJK font, every content language) is timed with
MOTPUB_CJK_FONT_PATH naming the font, as it needed.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import time
from pathlib import Path

TITLES = {
    "zh": "商代晚期饕餮纹青铜方鼎",
    "zh-Hant": "商代晚期饕餮紋青銅方鼎",
    "en": "Square bronze ding with taotie mask, late Shang dynasty",
    "ar": "مربع برونزي بقناع تاوتيه، أواخر عهد أسرة شانغ",
    "th": "ติ่งสำริดทรงสี่เหลี่ยมลายเทาเที่ย ปลายราชวงศ์ซาง",
    "hi": "ताओती मुखौटे वाला चौकोर कांस्य डिंग, शांग राजवंश",
    "ru": "Квадратный бронзовый дин с маской таоте, поздняя династия Шан",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--languages", default="zh,en")
    parser.add_argument("--template", default="a4-21")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from motpub import i18n
    from motpub.printing import labels as printing

    languages = tuple(args.languages.split(","))
    i18n.configure(languages)
    sheet = [printing.Label(tuple(TITLES[lang] + f" {n}" for lang in languages), f"K{n:05d}",
                            f"https://example.org/s/K{n:05d}") for n in range(args.labels)]
    options: dict = {"template": args.template}
    if "font_path" in inspect.signature(printing.label_sheet).parameters:
        options["font_path"] = Path(os.environ["MOTPUB_CJK_FONT_PATH"])  # the old tree
    else:
        options["languages"] = languages
    # CPU time of this process: the machine's other load does not count in it.
    times = []
    for _ in range(args.runs):
        started = time.process_time()
        pdf = printing.label_sheet(sheet, **options)
        times.append(time.process_time() - started)
    warm = times[1:] or times
    print(f"{args.labels} labels, {args.template}, {','.join(languages)}: first "
          f"{times[0]:.2f} s CPU, then median {statistics.median(warm):.2f} s "
          f"({statistics.median(warm) / args.labels * 1000:.1f} ms a label), "
          f"{len(pdf) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
