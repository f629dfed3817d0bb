#!/usr/bin/env python3
"""Whole-process scale benchmark for issue #13 ("Scale"): each row beside its baseline.

Why: the data core's goals are ratios (load speed against a bare typed parse of the same bytes,
peak RSS against the input's size), and this box is shared, so absolute times drift with the
load of the moment. Every row therefore runs its command and its baseline in the same
invocation, alternating, three times each, and reports min/median/max wall time, MB/s, the
ratio to the baseline (baseline median time / command median time, i.e. how many times the
bare parse's speed), peak RSS (each child's ru_maxrss from os.wait4) and RSS / input size.

Needs the release binary and examples, built beforehand (or pass --build to let this script
run the cargo command):

    cargo build --release --bin xray-tui --example gen --example baseline_parse
    python3 tests/benches/scale.py            # 10k and 100k rows (a few minutes)
    python3 tests/benches/scale.py --big      # also 1M traces (~2.7 GB of NDJSON; slow)

Options: --runs N (default 3), --rows a,b (names below), --data DIR (reuse or keep generated
files there; default: a fresh temp dir, deleted afterwards), --target DIR (cargo's target dir;
default $CARGO_TARGET_DIR or ./target), --build. Data is generated with the default seed by
`tests/benches/gen.rs`, never inside the repository. Python 3 standard library only.
Results and how to read them: docs/benchmarks.md, "Scale (issue #13)".
"""

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_once(cmd, stderr_path):
    """Runs cmd with stdout to /dev/null; returns (wall seconds, peak RSS bytes, stderr)."""
    with open(os.devnull, "wb") as null, open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=null, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    with open(stderr_path, "rb") as err:
        text = err.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(cmd)}\n{text}")
    # ru_maxrss is in KiB on Linux.
    return wall, ru.ru_maxrss * 1024, text


def stats(xs):
    return min(xs), statistics.median(xs), max(xs)


def fmt_times(xs):
    lo, med, hi = stats(xs)
    return f"{lo:.2f} / {med:.2f} / {hi:.2f}"


def mib(b):
    return b / (1 << 20)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big", action="store_true", help="also the 1M-trace rows")
    ap.add_argument("--rows", help="only these rows (comma-separated names)")
    ap.add_argument("--data", help="directory for the generated data (kept)")
    ap.add_argument("--target", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")))
    ap.add_argument("--build", action="store_true", help="run cargo build --release first")
    args = ap.parse_args()

    if args.build:
        subprocess.run(
            ["cargo", "build", "--release", "--bin", "xray-tui", "--example", "gen", "--example", "baseline_parse"],
            cwd=REPO,
            check=True,
        )
    rel = os.path.join(args.target, "release")
    xray = os.path.join(rel, "xray-tui")
    gen = os.path.join(rel, "examples", "gen")
    base = os.path.join(rel, "examples", "baseline_parse")
    for b in (xray, gen, base):
        if not os.path.exists(b):
            sys.exit(f"missing {b}: run `cargo build --release --bin xray-tui --example gen --example baseline_parse` (or pass --build)")

    data = args.data or tempfile.mkdtemp(prefix="xray-tui-scale-")
    if os.path.realpath(data).startswith(os.path.realpath(REPO) + os.sep):
        sys.exit("refusing to generate data inside the repository; use a temp dir")
    os.makedirs(data, exist_ok=True)
    errfile = os.path.join(data, "stderr.txt")

    def generated(name, gen_args):
        path = os.path.join(data, name)
        if not os.path.exists(path):
            t0 = time.perf_counter()
            subprocess.run([gen, *gen_args, "--out", path], check=True, stderr=subprocess.DEVNULL)
            print(f"# generated {name}: {os.path.getsize(path) / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s", flush=True)
        return path

    # name, what, input, command, baseline
    rows = []

    def row(name, what, path, cmd):
        rows.append((name, what, path, cmd, [base, path]))

    wanted = set(args.rows.split(",")) if args.rows else None

    def want(name):
        return wanted is None or name in wanted

    if want("ndjson-10k"):
        f = generated("10k.ndjson", ["--traces", "10000"])
        row("ndjson-10k", "NDJSON load, 10k traces (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])
    f100 = None
    if any(want(n) for n in ("ndjson-100k", "graph-100k", "filter-100k")):
        f100 = generated("100k.ndjson", ["--traces", "100000"])
    if want("ndjson-100k"):
        row("ndjson-100k", "NDJSON load, 100k traces (`query --format ids`)", f100, [xray, "query", "--file", f100, "--format", "ids"])
    if want("batch-100k"):
        f = generated("100k.batch.json", ["--traces", "100000", "--format", "batch"])
        row("batch-100k", "batch-get-traces load, 100k traces (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])
    if want("graph-100k"):
        row("graph-100k", "service graph, 100k traces (`graph --format json`)", f100, [xray, "graph", "--file", f100, "--format", "json"])
    if want("filter-100k"):
        row(
            "filter-100k",
            "filter, 100k traces (`query --filter 'service(\"orders-api\")' --format ids`)",
            f100,
            [xray, "query", "--file", f100, "--filter", 'service("orders-api")', "--format", "ids"],
        )
    if want("huge-100k"):
        f = generated("huge-100k.ndjson", ["--huge-trace", "100000"])
        row("huge-100k", "one trace of 100k subsegments (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])
    if args.big and want("ndjson-1m"):
        f = generated("1m.ndjson", ["--traces", "1000000"])
        row("ndjson-1m", "NDJSON load, 1M traces (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {head}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {args.runs} runs each")
    print("| row | input | command: wall s min / median / max | MB/s (median) | baseline: wall s min / median / max | baseline MB/s | ratio to baseline | peak RSS (max) | RSS / input | baseline peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, what, path, cmd, bcmd in rows:
        size = os.path.getsize(path)
        walls, rss, bwalls, brss = [], [], [], []
        warned = ""
        for _ in range(args.runs):
            w, r, _ = run_once(bcmd, errfile)
            bwalls.append(w)
            brss.append(r)
            w, r, err = run_once(cmd, errfile)
            walls.append(w)
            rss.append(r)
            if err.strip():
                warned = err.strip().splitlines()[0]
        med, bmed = statistics.median(walls), statistics.median(bwalls)
        print(
            f"| {what} | {size / 1e6:.0f} MB | {fmt_times(walls)} | {size / 1e6 / med:.0f} | {fmt_times(bwalls)} | "
            f"{size / 1e6 / bmed:.0f} | **{bmed / med:.2f}x** | {mib(max(rss)):.0f} MiB | {max(rss) / size:.2f}x | {mib(max(brss)):.0f} MiB |",
            flush=True,
        )
        if warned:
            print(f"#   {name}: stderr: {warned}")
    if not args.data:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
