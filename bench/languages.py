#!/usr/bin/env python3
"""The scan page with ten content languages against two, in one run, and the weight of the
Arabic and traditional Chinese pages.

Two servers run side by side on 127.0.0.1 (`gunicorn -c gunicorn.conf.py wsgi:app`, each on
its own fresh SQLite database): one with `MOTPUB_LANGUAGES=zh,en` serving a bilingual item,
one with ten languages serving an item written in all ten. wrk loads `/s/<code>` of one,
then of the other, --runs times, alternating; every request sends one of ten phones'
Accept-Language headers in turn (a Lua script), so negotiation does real work on both.
Printed: the medians of req/s and of the CPU the server spent per scan, and their ratios.

Then the page weight: the bytes of the HTML (its stylesheet is inline) and of each script it
loads, for the Arabic and the traditional Chinese page of the ten-language item, before any
media. Both must stay under 50 KB.

    .venv/bin/python bench/languages.py --runs 5 --duration 10

Reuses the server, wrk and CPU helpers of bench/scan_throughput.py. Raw numbers go to
bench/out/ (gitignored); every process started here is stopped in a `finally`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scan_throughput as st  # noqa: E402  (a sibling script, not a package)

TEN = "zh,zh-Hant,en,ru,ar,th,fr,es,ja,ko"
TWO = "zh,en"
PAGE_WEIGHT_LIMIT_BYTES = 50 * 1024
# What phones set to these languages send (Safari and Chrome, iOS and Android).
HEADERS = [
    "zh-CN,zh;q=0.9", "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "en-US,en;q=0.9",
    "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ar-SA,ar;q=0.9,en;q=0.8", "th-TH,th;q=0.9",
    "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "es-ES,es;q=0.9", "ja-JP,ja;q=0.9",
    "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7",
]
ROTATE_LUA = """
local headers = {LIST}
local n = 0
request = function()
  n = n % #headers + 1
  wrk.headers["Accept-Language"] = headers[n]
  return wrk.format("GET")
end
""".replace("LIST", ", ".join(json.dumps(h) for h in HEADERS))

TEXTS = {
    "zh": ("青铜鼎", "商代晚期的礼器，用于祭祀。", "这件**青铜鼎**出土于安阳，高 80 厘米。"),
    "zh-Hant": ("青銅鼎", "商代晚期的禮器，用於祭祀。", "這件**青銅鼎**出土於安陽，高 80 釐米。"),
    "en": ("Bronze ding", "A late Shang ritual vessel.", "This **bronze ding**, 80 cm high, "
           "was excavated at Anyang."),
    "ru": ("Бронзовый котёл", "Ритуальный сосуд поздней Шан.", "Этот **котёл** высотой 80 см "
           "найден в Аньяне."),
    "ar": ("قدر برونزي", "إناء طقسي من أواخر عهد شانغ.", "عُثر على هذا **القدر** في آنيانغ، "
           "وارتفاعه 80 سم."),
    "th": ("หม้อสำริด", "ภาชนะพิธีกรรมปลายราชวงศ์ซาง", "**หม้อสำริด**ใบนี้ขุดพบที่อันหยาง สูง 80 ซม."),
    "fr": ("Chaudron en bronze", "Vase rituel des Shang tardifs.", "Ce **ding**, haut de "
           "80 cm, a été mis au jour à Anyang."),
    "es": ("Caldero de bronce", "Vasija ritual de los Shang tardíos.", "Este **ding**, de "
           "80 cm, se excavó en Anyang."),
    "ja": ("青銅の鼎", "殷後期の祭器。", "この**鼎**は安陽で出土し、高さ 80 cm。"),
    "ko": ("청동 솥", "상나라 후기의 제기.", "이 **솥**은 안양에서 출토되었으며 높이 80cm."),
}


def item(languages: list[str]) -> dict:
    body_extra = {"zh": "铭文记载了祭祀。" * 20, "en": "The inscription records a sacrifice. " * 20}
    return {
        "slug": "bronze-ding", "default_language": "zh",
        "title": {lang: TEXTS[lang][0] for lang in languages},
        "summary": {lang: TEXTS[lang][1] for lang in languages},
        "body": {lang: f"# {TEXTS[lang][0]}\n\n{TEXTS[lang][2]}\n\n{body_extra.get(lang, '')}"
                 for lang in languages},
        "links": [{"url": "https://example.org/ding",
                   "title": {lang: TEXTS[lang][0] for lang in languages}}],
    }


def start(name: str, languages: str, workdir: Path, args) -> tuple[st.Server, str]:
    env = st.prepare_database("sqlite", workdir, "")
    env["MOTPUB_LANGUAGES"] = languages
    st.motpub_cli(env, "users", "create", st.EMAIL, "--role", "editor", "--password-stdin",
                  stdin=st.PASSWORD + "\n")
    token = st.motpub_cli(env, "tokens", "create", st.EMAIL).splitlines()[-1].strip()
    server = st.Server(env, workdir, workers=args.workers, threads=args.threads)
    server.start()
    st.ITEM.clear()
    st.ITEM.update(item(languages.split(",")))
    code = st.seed(server.base, token)
    st.log(f"{name}: {languages} on {server.base}, code {code}")
    return server, code


def page_weight(base: str, path: str, language: str) -> dict:
    """Bytes of the page in `language` and of every script it loads (its CSS is inline)."""
    request = urllib.request.Request(f"{base}{path}?lang={language}")
    with urllib.request.urlopen(request, timeout=30) as response:
        html = response.read()
    scripts = {}
    for src in re.findall(rb'<script src="([^"]+)"', html):
        with urllib.request.urlopen(base + src.decode(), timeout=30) as response:
            scripts[src.decode()] = len(response.read())
    css = re.search(rb"<style>(.*?)</style>", html, re.S)
    return {"language": language, "html_bytes": len(html),
            "inline_css_bytes": len(css.group(1)) if css else 0, "scripts": scripts,
            "total_bytes": len(html) + sum(scripts.values()),
            "dir_rtl": b'dir="rtl"' in html[:300]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="wrk runs per server (default 5)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quiet-wait", type=float, default=0,
                        help="before each run, wait up to this many seconds for the machine "
                             "to be quiet (see bench/scan_throughput.py)")
    parser.add_argument("--quiet-cores", type=float, default=0.25)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw_dir = st.OUT_DIR / f"languages-{stamp}"
    raw_dir.mkdir(parents=True, exist_ok=True)
    lua = raw_dir / "rotate.lua"
    lua.write_text(ROTATE_LUA + st.WRK_LUA)
    workdirs = [Path(tempfile.mkdtemp(prefix=f"motpub-bench-{n}-")) for n in ("two", "ten")]
    servers: dict[str, tuple[st.Server, str]] = {}
    try:
        servers["2 languages"] = start("two", TWO, workdirs[0], args)
        servers["10 languages"] = start("ten", TEN, workdirs[1], args)
        for server, code in servers.values():  # warm up: caches, imports, page cache
            st.run_wrk(f"{server.base}/s/{code}", "warm", -1,
                       argparse.Namespace(**{**vars(args), "duration": 2}), lua,
                       server.process.pid)
        runs: dict[str, list[st.WrkRun]] = {name: [] for name in servers}
        for run in range(args.runs):
            order = list(servers) if run % 2 == 0 else list(reversed(servers))
            for name in order:
                server, code = servers[name]
                result = st.run_wrk(f"{server.base}/s/{code}", name, run, args, lua,
                                    server.process.pid)
                if result.status_errors or result.socket_errors:
                    raise RuntimeError(f"{name}: errors in run {run}:\n{result.text}")
                runs[name].append(result)
                st.log(f"{name} run {run}: {result.rps:.0f} req/s, "
                       f"{result.server_cpu_ms_per_request:.2f} CPU ms/scan, "
                       f"p99 {result.p99_ms:.1f} ms, others' CPU {result.cpu['other']:.2f}")
        weights = [page_weight(servers["10 languages"][0].base, "/i/bronze-ding", lang)
                   for lang in ("ar", "zh-Hant")]
    finally:
        for server, _code in servers.values():
            server.stop()
            server.kill()
        for workdir in workdirs:
            shutil.rmtree(workdir, ignore_errors=True)

    med = {name: {"rps": statistics.median(r.rps for r in rs),
                  "cpu_ms": statistics.median(r.server_cpu_ms_per_request for r in rs),
                  "p99_ms": statistics.median(r.p99_ms for r in rs)}
           for name, rs in runs.items()}
    two, ten = med["2 languages"], med["10 languages"]
    pair_ratios = [b.rps / a.rps for a, b in zip(runs["2 languages"], runs["10 languages"],
                                                  strict=True)]
    table = "\n".join([
        f"{args.runs} runs x {args.duration} s per server, alternating; wrk -t{args.wrk_threads} "
        f"-c{args.connections}, ten Accept-Language headers in turn; gunicorn {args.workers} "
        f"workers x {args.threads} threads; SQLite",
        "",
        "| configured languages | req/s /s/<code> (median) | CPU ms/scan (median) "
        "| p99 ms (median) |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {name} | {m['rps']:,.0f} | {m['cpu_ms']:.2f} | {m['p99_ms']:.1f} |"
          for name, m in med.items()),
        f"| ten / two | {ten['rps'] / two['rps']:.3f} | {ten['cpu_ms'] / two['cpu_ms']:.3f} "
        f"| {ten['p99_ms'] / two['p99_ms']:.2f} |",
        "",
        f"req/s ratio of each pair of runs: {', '.join(f'{r:.3f}' for r in pair_ratios)} "
        f"(median {statistics.median(pair_ratios):.3f})",
        "",
        "| page (ten-language item) | HTML bytes (inline CSS) | scripts | total before media "
        "| under 50 KB |",
        "| --- | ---: | --- | ---: | --- |",
        *(f"| /i/bronze-ding?lang={w['language']}{' (dir=rtl)' if w['dir_rtl'] else ''} "
          f"| {w['html_bytes']:,} ({w['inline_css_bytes']:,}) "
          f"| {', '.join(f'{k} {v:,}' for k, v in w['scripts'].items())} "
          f"| {w['total_bytes']:,} "
          f"| {'yes' if w['total_bytes'] < PAGE_WEIGHT_LIMIT_BYTES else 'NO'} |"
          for w in weights),
    ])
    report = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "args": vars(args),
              "medians": med, "pair_ratios": pair_ratios, "weights": weights,
              "runs": {name: [{k: v for k, v in r.__dict__.items() if k != "text"} for r in rs]
                       for name, rs in runs.items()}, "table": table}
    (raw_dir / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(table)
    print(f"\nraw numbers: {raw_dir.relative_to(st.ROOT)}/results.json")
    return 0 if all(w["total_bytes"] < PAGE_WEIGHT_LIMIT_BYTES for w in weights) else 1


if __name__ == "__main__":
    sys.exit(main())
