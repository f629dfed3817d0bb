#!/usr/bin/env python3
"""Sampling endpoint under many SDK clients: rounds of 8,000 new clients, each reporting its
statistics for the default rule as the SDKs do (`POST /SamplingTargets`, 25 documents a request:
the X-Ray API's own limit), against `xray-tui listen`. Prints each round's wall time, and the
first and last rounds' ratio (1.0 when the cost does not grow with the clients already seen),
then the listener's peak RSS.

Run: cargo build --release --bin xray-tui && python3 tests/benches/sampling_clients.py
"""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "xray-tui")
ROUNDS = 12
CLIENTS = 8000
PER_REQUEST = 25


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    listen = subprocess.Popen(
        [BIN, "listen", "--headless", "--no-otlp", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        times = []
        client = 0
        for r in range(ROUNDS):
            start = time.perf_counter()
            for _ in range(CLIENTS // PER_REQUEST):
                docs = []
                for _ in range(PER_REQUEST):
                    docs.append(
                        {
                            "RuleName": "Default",
                            "ClientID": f"{client:024x}",
                            "Timestamp": time.time(),
                            "RequestCount": 10,
                            "SampledCount": 1,
                            "BorrowCount": 0,
                        }
                    )
                    client += 1
                body = json.dumps({"SamplingStatisticsDocuments": docs})
                conn.request("POST", "/SamplingTargets", body, {"Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                if answer.status != 200:
                    sys.exit(f"answer {answer.status}")
            times.append(time.perf_counter() - start)
            print(f"round {r + 1}: {CLIENTS} new clients ({client} in all) in {times[-1]:.3f} s")
        with open(f"/proc/{listen.pid}/status") as f:
            hwm = next(l.split()[1] for l in f if l.startswith("VmHWM"))
        print(
            f"rounds: min {min(times):.3f} / median {statistics.median(times):.3f} / max {max(times):.3f} s; "
            f"last / first {times[-1] / times[0]:.2f}; listen peak RSS {int(hwm) // 1024} MiB"
        )
    finally:
        listen.terminate()
        listen.wait()


if __name__ == "__main__":
    main()
