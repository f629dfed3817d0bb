#!/usr/bin/env python3
"""Whole-process scale benchmark for issue #13 ("Scale"): each row beside its baseline.

Why: the data core's goals are ratios (load speed against a bare typed parse of the same bytes,
peak RSS against the input's size), and this box is shared, so absolute times drift with the
load of the moment. Every row therefore runs its command and its baseline in the same
invocation, alternating, three times each, and reports min/median/max wall time, MB/s, the
ratio to the baseline (baseline median time / command median time, i.e. how many times the
bare parse's speed), peak RSS (each child's ru_maxrss from os.wait4) and RSS / input size.

The daemon rows (daemon-8k: realistic 8 KB segments at 100k/s, daemon-1k: 1 KB at 200k/s)
measure loss rather than time, as the issue asks: "with an external sender process, counting
lines in the `--save` file against datagrams sent". Each run starts a receiver on a free
loopback port (the command: `xray-tui listen --headless --save FILE`; the baseline: the bare
receive loop `tests/benches/udp_sink.rs`, same 16 MiB receive buffer), waits for its
"listening" line, runs the sender `tests/benches/udp_send.rs` (its own process: every datagram
a new trace, paced in 1 ms bursts) for --seconds, waits until the receiver is idle (its
socket's queue empty and, for listen, the save file no longer growing, for 0.5 s), reads the
socket's kernel drops from /proc/net/udp and the receiver's peak RSS from /proc/PID/status
(VmHWM; see vm_hwm), sends SIGTERM and waits for it (os.wait4: CPU time). Handled = lines in
the save file (listen) or datagrams received (baseline); loss = 1 - handled/sent; the ratio is
of handled/s (over the sender's time), command against baseline. Where listen lost datagrams
comes from its `stopped:` line (`dropped`: its parser queue was full; `save-failed`) and the
socket's drops (the receive buffer was full). One `#` line a run gives the details.

The OTLP row (otlp-http, issue #16) measures how many spans a second `listen` accepts over
OTLP/HTTP protobuf with zero loss: the sender `tests/benches/otlp_send.rs` (its own process:
realistic spans, ten a trace, batches of 512, --otlp-connections keep-alive connections,
unpaced, every throttled request sent again after its Retry-After) sends for --seconds to
`xray-tui listen --headless --otlp-http 127.0.0.1:0 --save FILE`, and, alternately, to the bare
receiver `tests/benches/otlp_sink.rs` (hyper, read the body, decode it, count its spans, answer
200). Accepted spans/s is the sender's (spans in requests answered 200, over the time from its
first request to its last answer); the ratio is of medians, command against baseline; loss is
spans the sender had accepted against lines in the save file (and the `stopped:` line's
`otlp ... accepted` and `saved`); peak RSS is VmHWM, as for the daemon rows.

Needs the release binary and examples, built beforehand (or pass --build to let this script
run the cargo command):

    cargo build --release --bin xray-tui --example gen --example baseline_parse --example udp_send --example udp_sink --example otlp_send --example otlp_sink
    python3 tests/benches/scale.py            # 10k and 100k rows, daemon rows (a few minutes)
    python3 tests/benches/scale.py --big      # also 1M traces (~2.7 GB of NDJSON; slow)
    python3 tests/benches/scale.py --rows daemon-8k,daemon-1k --seconds 5
    python3 tests/benches/scale.py --rows otlp-http --seconds 5

Options: --runs N (default 3), --rows a,b (names below), --data DIR (reuse or keep generated
files there; default: a fresh temp dir, deleted afterwards; the daemon rows' save files are
written there and deleted once counted: up to ~0.8 GB a second of sending), --seconds S
(daemon and OTLP rows: sending time per run, default 5), --otlp-connections N (default 4),
--target DIR (cargo's target dir; default
$CARGO_TARGET_DIR or ./target), --build. Data is generated with the default seed by
`tests/benches/gen.rs`, never inside the repository. Python 3 standard library only.
Results and how to read them: docs/benchmarks.md, "Scale (issue #13)".
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
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


def udp_socket(port):
    """(receive queue bytes, drops) of the UDP socket bound to `port` (/proc/net/udp), or None."""
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) == port:
                return int(cols[4].split(":")[1], 16), int(cols[-1])
    return None


def rcvbuf_errors():
    """Udp RcvbufErrors of /proc/net/snmp (all sockets of the machine), or None."""
    try:
        with open("/proc/net/snmp") as f:
            udp = [line.split() for line in f if line.startswith("Udp:")]
        return int(udp[1][udp[0].index("RcvbufErrors")])
    except (OSError, ValueError, IndexError):
        return None


def vm_hwm(pid):
    """Peak RSS of a running process in bytes (VmHWM of /proc/PID/status), or None.

    Why not ru_maxrss of os.wait4 here: Linux counts the parent's peak RSS into a child's at
    exec (the spawning mm's high-water mark is kept), so a small receiver would show this
    script's own peak instead of its own."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        # Small reads: this script's own RSS stays small (see vm_hwm).
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def run_receiver(cmd, send_cmd, work, save=None):
    """One daemon-row run: starts the receiver `cmd` (which binds a free port and says
    "listening on udp HOST:PORT" on stderr), runs the sender `send_cmd + ["--to", HOST:PORT]`,
    waits until the receiver is idle, stops it with SIGTERM. Returns a dict of what happened."""
    out_path, err_path = os.path.join(work, "receiver.out"), os.path.join(work, "receiver.err")
    snmp0 = rcvbuf_errors()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)

    def stderr_text():
        with open(err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    deadline = time.monotonic() + 30
    while not (m := re.search(r"listening on udp (\S+):(\d+)", stderr_text())):
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            p.wait()
            sys.exit(f"receiver did not start: {' '.join(cmd)}\n{stderr_text()}")
        time.sleep(0.02)
    host, port = m.group(1), int(m.group(2))
    sender = subprocess.run([*send_cmd, "--to", f"{host}:{port}"], capture_output=True, text=True)
    sent_at = time.perf_counter()
    if sender.returncode != 0:
        p.kill()
        p.wait()
        sys.exit(f"sender failed: {sender.stderr}")
    s = json.loads(sender.stdout)
    # Idle: the socket's queue empty and the save file unchanged for 0.5 s (a queued datagram
    # left in the socket at SIGTERM would never be read; the daemon's own queue is drained on
    # the way out).
    last_change, last_size, state = sent_at, -1, None
    while True:
        now = time.perf_counter()
        state = udp_socket(port)
        size = os.path.getsize(save) if save else 0
        if p.poll() is not None:
            sys.exit(f"receiver exited early: {' '.join(cmd)}\n{stderr_text()}")
        if state is None or state[0] > 0 or size != last_size:
            last_change, last_size = now, size
        elif now - last_change >= 0.5 or now - sent_at > 300:
            break
        time.sleep(0.02)
    drops = state[1] if state else None
    # Read while it runs: once it has exited, its VmHWM is gone.
    hwm = vm_hwm(p.pid)
    p.send_signal(signal.SIGTERM)
    _, status, ru = os.wait4(p.pid, 0)
    snmp1 = rcvbuf_errors()
    err = stderr_text()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"receiver failed ({code}): {' '.join(cmd)}\n{err}")
    with open(out_path) as f:
        out = f.read()
    r = {
        "size": s["size"],
        "sent": s["sent"],
        "send_s": s["seconds"],
        "achieved": s["achieved"],
        "send_errors": s["errors"],
        "socket_drops": drops,
        "snmp_drops": None if snmp0 is None or snmp1 is None else snmp1 - snmp0,
        "drained_s": max(0.0, last_change - sent_at),
        "rss": hwm if hwm is not None else ru.ru_maxrss * 1024,
        "ru_maxrss": ru.ru_maxrss * 1024,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "stderr": err,
    }
    if save:
        stopped = re.search(r"^stopped: (.*)$", err, re.M)
        if not stopped:
            sys.exit(f"no `stopped:` line from {' '.join(cmd)}\n{err}")
        # "received N accepted N traces N [rejected N (...)] [dropped N] ... kernel-drops N"
        r["stopped"] = {k: int(v) for k, v in re.findall(r"([a-z-]+) (\d+)", re.sub(r"\(.*?\)", "", stopped.group(1)))}
        r["handled"] = count_lines(save)
        os.remove(save)
    else:
        r["handled"] = json.loads(out)["received"]
    return r


def stats(xs):
    return min(xs), statistics.median(xs), max(xs)


def fmt_times(xs):
    lo, med, hi = stats(xs)
    return f"{lo:.2f} / {med:.2f} / {hi:.2f}"


def mib(b):
    return b / (1 << 20)


def fmt_fractions(xs):
    lo, med, hi = stats(xs)
    return f"{lo:.4f} / {med:.4f} / {hi:.4f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big", action="store_true", help="also the 1M-trace rows")
    ap.add_argument("--rows", help="only these rows (comma-separated names)")
    ap.add_argument("--data", help="directory for the generated data (kept)")
    ap.add_argument("--seconds", type=float, default=5.0, help="daemon rows: seconds of sending per run")
    ap.add_argument("--target", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")))
    ap.add_argument("--build", action="store_true", help="run cargo build --release first")
    ap.add_argument("--otlp-connections", type=int, default=4, help="otlp-http: the sender's connections")
    args = ap.parse_args()

    examples = ["gen", "baseline_parse", "udp_send", "udp_sink", "otlp_send", "otlp_sink"]
    build = ["cargo", "build", "--release", "--bin", "xray-tui", *(a for e in examples for a in ("--example", e))]
    if args.build:
        subprocess.run(build, cwd=REPO, check=True)
    rel = os.path.join(args.target, "release")
    xray = os.path.join(rel, "xray-tui")
    gen, base, send, sink, osend, osink = (os.path.join(rel, "examples", e) for e in examples)
    wanted = set(args.rows.split(",")) if args.rows else None
    only_otlp = wanted == {"otlp-http"}
    for b in (xray, osend, osink) if only_otlp else (xray, gen, base, send, sink, osend, osink):
        if not os.path.exists(b):
            sys.exit(f"missing {b}: run `{' '.join(build)}` (or pass --build)")

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

    def want(name):
        return wanted is None or name in wanted

    if want("ndjson-10k"):
        f = generated("10k.ndjson", ["--traces", "10000"])
        row("ndjson-10k", "NDJSON load, 10k traces (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])
    f100 = None
    if any(want(n) for n in ("ndjson-100k", "graph-100k", "filter-100k", "analyze-100k", "compare-100k")):
        f100 = generated("100k.ndjson", ["--traces", "100000"])
    if want("ndjson-100k"):
        row("ndjson-100k", "NDJSON load, 100k traces (`query --format ids`)", f100, [xray, "query", "--file", f100, "--format", "ids"])
    if want("batch-100k"):
        f = generated("100k.batch.json", ["--traces", "100000", "--format", "batch"])
        row("batch-100k", "batch-get-traces load, 100k traces (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])
    if want("graph-100k"):
        row("graph-100k", "service graph, 100k traces (`graph --format json`)", f100, [xray, "graph", "--file", f100, "--format", "json"])
    # name, what, the command's arguments after the file (the 100k NDJSON input)
    for name, what, more in (
        ("filter-100k", "filter, 100k traces (`query --filter 'service(\"orders-api\")' --format ids`)",
         ["query", "--filter", 'service("orders-api")', "--format", "ids"]),
        ("analyze-100k", "root causes, 100k traces (`analyze --by rootcause --format json`)",
         ["analyze", "--by", "rootcause", "--format", "json"]),
        ("compare-100k", "faults against the rest, 100k traces (`analyze --compare fault --format json`)",
         ["analyze", "--compare", "fault", "--format", "json"]),
    ):
        if want(name):
            row(name, what, f100, [xray, more[0], "--file", f100, *more[1:]])
    if want("huge-100k"):
        f = generated("huge-100k.ndjson", ["--huge-trace", "100000"])
        row("huge-100k", "one trace of 100k subsegments (`query --format ids`)", f, [xray, "query", "--file", f, "--format", "ids"])
    for name, what, more in (
        ("ndjson-1m", "NDJSON load, 1M traces (`query --format ids`)", ["query", "--format", "ids"]),
        ("analyze-1m", "root causes, 1M traces (`analyze --by rootcause --format json`)",
         ["analyze", "--by", "rootcause", "--format", "json"]),
    ):
        if args.big and want(name):
            f = generated("1m.ndjson", ["--traces", "1000000"])
            row(name, what, f, [xray, more[0], "--file", f, *more[1:]])

    # name, size, rate: the daemon goals (zero loss with --save at these rates).
    drows = [(n, size, rate) for n, size, rate in (("daemon-8k", "8k", 100_000), ("daemon-1k", "1k", 200_000)) if want(n)]

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {head}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {args.runs} runs each")
    if rows:
        file_rows(rows, args.runs, errfile)
    if drows:
        daemon_rows(drows, args, xray, send, sink, data)
    if want("otlp-http"):
        otlp_rows(args, xray, osend, osink, data)
    if not args.data:
        shutil.rmtree(data, ignore_errors=True)


def file_rows(rows, runs, errfile):
    print("| row | input | command: wall s min / median / max | MB/s (median) | baseline: wall s min / median / max | baseline MB/s | ratio to baseline | peak RSS (max) | RSS / input | baseline peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, what, path, cmd, bcmd in rows:
        size = os.path.getsize(path)
        walls, rss, bwalls, brss = [], [], [], []
        warned = ""
        for _ in range(runs):
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


def daemon_rows(drows, args, xray, send, sink, data):
    rmem_max = "?"
    try:
        with open("/proc/sys/net/core/rmem_max") as f:
            rmem_max = f.read().strip()
    except OSError:
        pass
    print(f"# daemon rows: {args.seconds:g} s of sending per run, net.core.rmem_max {rmem_max}")
    print("| row | datagram | offered | sent (median) | sender achieved/s (median) | command: handled/sent min / median / max | "
          "command loss % (worst) | baseline: received/sent min / median / max | baseline loss % (worst) | "
          "handled/s ratio to baseline | command lost to socket drops / queue drops / save failures (all runs) | "
          "peak RSS (max) | baseline peak RSS (max) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, size, rate in drows:
        send_cmd = [send, "--size", size, "--rate", str(rate), "--seconds", f"{args.seconds:g}"]
        save = os.path.join(data, f"{name}.save.ndjson")
        cmd = [xray, "listen", "--headless", "--bind", "127.0.0.1:0", "--save", save]
        bcmd = [sink, "--bind", "127.0.0.1:0"]
        base_runs, cmd_runs = [], []
        for i in range(args.runs):
            for kind, c, runs, sv in (("baseline", bcmd, base_runs, None), ("command", cmd, cmd_runs, save)):
                if sv and os.path.exists(sv):
                    os.remove(sv)
                r = run_receiver(c, send_cmd, data, sv)
                runs.append(r)
                extra = ""
                if sv:
                    st = r["stopped"]
                    extra = (f", saved lines {r['handled']}; stopped: received {st.get('received')} accepted {st.get('accepted')} "
                             f"dropped {st.get('dropped', 0)} save-failed {st.get('save-failed', 0)} kernel-drops {st.get('kernel-drops')}")
                print(f"#   {name} run {i + 1} {kind}: sent {r['sent']} ({r['achieved']:.0f}/s, {r['send_errors']} send errors), "
                      f"handled {r['handled']}, socket drops {r['socket_drops']} (RcvbufErrors delta {r['snmp_drops']}), "
                      f"drained {r['drained_s']:.2f} s after the sender, CPU {r['cpu_s']:.2f} s, peak RSS {mib(r['rss']):.0f} MiB{extra}",
                      flush=True)
        frac = [r["handled"] / r["sent"] for r in cmd_runs]
        bfrac = [r["handled"] / r["sent"] for r in base_runs]
        rate_med = statistics.median(r["handled"] / r["send_s"] for r in cmd_runs)
        brate_med = statistics.median(r["handled"] / r["send_s"] for r in base_runs)
        sock = sum(r["socket_drops"] or 0 for r in cmd_runs)
        queue = sum(r["stopped"].get("dropped", 0) for r in cmd_runs)
        failed = sum(r["stopped"].get("save-failed", 0) for r in cmd_runs)
        buffers = "; ".join(
            f"{kind}: {m.group(1)}" for kind, rs in (("baseline", base_runs), ("command", cmd_runs))
            if (m := re.search(r"listening on udp \S+ .*?\((receive buffer[^)]*)\)", rs[0]["stderr"]))
        )
        print(f"#   {name} {buffers}")
        print(
            f"| {name} | {cmd_runs[0]['size']} B | {rate // 1000}k/s | {statistics.median(r['sent'] for r in cmd_runs):.0f} | "
            f"{statistics.median(r['achieved'] for r in cmd_runs + base_runs):.0f} | {fmt_fractions(frac)} | "
            f"**{(1 - min(frac)) * 100:.3f}** | {fmt_fractions(bfrac)} | {(1 - min(bfrac)) * 100:.3f} | "
            f"{rate_med / max(brate_med, 1e-9):.3f}x | {sock} / {queue} / {failed} | "
            f"{mib(max(r['rss'] for r in cmd_runs)):.0f} MiB | {mib(max(r['rss'] for r in base_runs)):.0f} MiB |",
            flush=True,
        )


def run_otlp(cmd, send_cmd, work, save=None):
    """One OTLP-row run: starts the receiver `cmd` (which says "listening on http HOST:PORT" or,
    `listen`, "otlp: http HOST:PORT" on stderr), runs the sender `send_cmd + ["--to", HOST:PORT]`,
    waits until the save file stops growing (0.5 s), reads the receiver's VmHWM, stops it with
    SIGTERM. Returns a dict of what happened."""
    out_path, err_path = os.path.join(work, "receiver.out"), os.path.join(work, "receiver.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)

    def stderr_text():
        with open(err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    deadline = time.monotonic() + 30
    while not (m := re.search(r"(?:listening on|otlp:) http (\S+):(\d+)", stderr_text())):
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            p.wait()
            sys.exit(f"receiver did not start: {' '.join(cmd)}\n{stderr_text()}")
        time.sleep(0.02)
    sender = subprocess.run([*send_cmd, "--to", f"{m.group(1)}:{m.group(2)}"], capture_output=True, text=True)
    sent_at = time.perf_counter()
    if sender.returncode != 0:
        p.kill()
        p.wait()
        sys.exit(f"sender failed: {sender.stderr}")
    s = json.loads(sender.stdout)
    last_change, last_size = sent_at, -1
    while save:
        now = time.perf_counter()
        size = os.path.getsize(save) if os.path.exists(save) else 0
        if p.poll() is not None:
            sys.exit(f"receiver exited early: {' '.join(cmd)}\n{stderr_text()}")
        if size != last_size:
            last_change, last_size = now, size
        elif now - last_change >= 0.5 or now - sent_at > 300:
            break
        time.sleep(0.02)
    hwm = vm_hwm(p.pid)
    p.send_signal(signal.SIGTERM)
    _, status, ru = os.wait4(p.pid, 0)
    err = stderr_text()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"receiver failed ({code}): {' '.join(cmd)}\n{err}")
    with open(out_path) as f:
        out = f.read()
    r = {
        "sender": s,
        "drained_s": max(0.0, last_change - sent_at),
        "rss": hwm if hwm is not None else ru.ru_maxrss * 1024,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "stderr": err,
    }
    if save:
        stopped = re.search(r"^stopped: (.*)$", err, re.M)
        if not stopped:
            sys.exit(f"no `stopped:` line from {' '.join(cmd)}\n{err}")
        line = stopped.group(1)
        otlp = re.search(r"otlp requests (\d+) spans (\d+) accepted (\d+)", line)
        r["stopped"] = line
        r["otlp_accepted"] = int(otlp.group(3)) if otlp else 0
        r["saved"] = int(m.group(1)) if (m := re.search(r"saved (\d+)", line)) else 0
        r["handled"] = count_lines(save)
        os.remove(save)
    else:
        r["handled"] = json.loads(out)["spans"]
    return r


def otlp_rows(args, xray, osend, osink, data):
    name = "otlp-http"
    send_cmd = [osend, "--seconds", f"{args.seconds:g}", "--connections", str(args.otlp_connections), "--batch", "512"]
    save = os.path.join(data, f"{name}.save.ndjson")
    cmd = [xray, "listen", "--headless", "--bind", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0",
           "--otlp-grpc", "127.0.0.1:0", "--save", save]
    bcmd = [osink, "--bind", "127.0.0.1:0"]
    print(f"# otlp rows: {args.seconds:g} s of sending per run, {args.otlp_connections} connections, batches of 512 spans, unpaced")
    print("| row | spans sent (median) | command: accepted spans/s min / median / max | baseline: spans/s min / median / max | "
          "ratio to baseline | lost spans (all runs: sent - saved lines) | throttled requests (all runs) | "
          "peak RSS min / median / max | baseline peak RSS (max) |")
    print("|---|---|---|---|---|---|---|---|---|")
    base_runs, cmd_runs = [], []
    for i in range(args.runs):
        for kind, c, runs, sv in (("baseline", bcmd, base_runs, None), ("command", cmd, cmd_runs, save)):
            if sv and os.path.exists(sv):
                os.remove(sv)
            r = run_otlp(c, send_cmd, data, sv)
            runs.append(r)
            snd = r["sender"]
            extra = f", saved lines {r['handled']}; stopped: {r['stopped']}" if sv else ""
            print(f"#   {name} run {i + 1} {kind}: {snd['requests']} requests, {snd['spans']} spans sent in {snd['seconds']:.2f} s "
                  f"({snd['achieved']:.0f}/s, {snd['bytes'] / max(snd['requests'], 1):.0f} B a request), throttled {snd['throttled']}, "
                  f"errors {snd['errors']}, rejected {snd['rejected']}, handled {r['handled']}, drained {r['drained_s']:.2f} s after "
                  f"the sender, CPU {r['cpu_s']:.2f} s, peak RSS {mib(r['rss']):.0f} MiB{extra}", flush=True)
    rates = [r["sender"]["achieved"] for r in cmd_runs]
    brates = [r["sender"]["achieved"] for r in base_runs]
    lost = sum(r["sender"]["accepted"] - r["handled"] for r in cmd_runs)
    throttled = sum(r["sender"]["throttled"] for r in cmd_runs)
    rss = [mib(r["rss"]) for r in cmd_runs]
    lo, med, hi = stats(rates)
    blo, bmed, bhi = stats(brates)
    rlo, rmed, rhi = stats(rss)
    print(
        f"| {name} | {statistics.median(r['sender']['spans'] for r in cmd_runs):.0f} | {lo:.0f} / {med:.0f} / {hi:.0f} | "
        f"{blo:.0f} / {bmed:.0f} / {bhi:.0f} | **{med / max(bmed, 1e-9):.2f}x** | {lost} | {throttled} | "
        f"{rlo:.0f} / {rmed:.0f} / {rhi:.0f} MiB | {mib(max(r['rss'] for r in base_runs)):.0f} MiB |",
        flush=True,
    )


if __name__ == "__main__":
    main()
