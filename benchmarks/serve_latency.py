"""How fast is the explorer's blend slider? Prints latency figures; it is a measurement, not a test.

    python benchmarks/serve_latency.py --limit 3000 --preset tiny          # quick, any machine
    python benchmarks/serve_latency.py                                      # the models `serve` uses
    python benchmarks/serve_latency.py --limit 3000 --preset tiny --browser # plus headless Chromium

1. server side: one blend frame from cached codes (decode three paths, run the judge, encode PNGs),
   timed in process; target p50 <= 10 ms on 2 cores;
2. end to end: `notaverage serve` started as a subprocess on 127.0.0.1, one keep-alive HTTP client
   sending POST /api/blend with random t; target p95 <= 50 ms;
3. load: 20 concurrent keep-alive clients; target p99 <= 100 ms;
4. (--browser) the page itself: the slider moved by arrow keys, each /api/blend round trip read
   from the browser's Resource Timing entries.

Bounded: a fixed number of requests, a wall-clock limit, and only 127.0.0.1 is ever contacted.
The frame cost does not depend on how much data trained the models (same architectures), so the
quick --limit/--preset tiny run measures the same thing as the full models.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from notaverage.fileio import atomic_write_text

HOST = "127.0.0.1"  # the only address this script ever talks to


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def summary(name: str, seconds: list[float]) -> dict:
    row = {"what": name, "n": len(seconds), "p50_ms": pct(seconds, 50), "p95_ms": pct(seconds, 95),
           "p99_ms": pct(seconds, 99), "max_ms": pct(seconds, 100)}
    print(f"{name:<44} n={row['n']:<5} p50 {row['p50_ms']:7.2f} ms   p95 {row['p95_ms']:7.2f} ms   "
          f"p99 {row['p99_ms']:7.2f} ms   max {row['max_ms']:7.2f} ms", flush=True)
    return row


def server_side(models, data, seed: int, frames: int, ids: tuple[str, str]) -> dict:
    import torch

    from notaverage.web.service import ExplorerService

    torch.set_num_threads(1)  # as `notaverage serve` runs
    service = ExplorerService(models, data, seed)
    a, b = service.digit(ids[0]), service.digit(ids[1])
    rng = np.random.default_rng(seed)
    for t in rng.random(20):  # warm up
        service.blend(a, b, float(t), "lerp")
    times, cpu = [], []
    for i, t in enumerate(rng.random(frames)):
        started, started_cpu = time.perf_counter(), time.thread_time()
        service.blend(a, b, float(t), "slerp" if i % 2 else "lerp")
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    row = summary("server side: one blend frame (in process)", times)
    row["cpu_p50_ms"] = pct(cpu, 50)
    print(f"{'':<44} CPU time per frame p50 {row['cpu_p50_ms']:.2f} ms (what the frame costs without "
          "other load)")
    return row


def start_server(args) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "notaverage.cli", "serve", "--host", HOST, "--port", "0", "--quiet",
           "--preset", args.preset, "--train-seed", str(args.seed)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.data_dir:
        cmd += ["--data-dir", str(args.data_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    deadline = time.monotonic() + 600
    for line in proc.stdout:
        if "http://" in line:
            port = int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
            return proc, port
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("the server did not start (see its output above)")


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> dict:
    payload = json.dumps(body).encode()
    conn.request("POST", path, payload, {"content-type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}: {data[:200]!r}")
    return json.loads(data)


def sequential(port: int, ids, n: int, seed: int) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    rng = np.random.default_rng(seed)
    times = []
    for i, t in enumerate(rng.random(n + 10)):
        started = time.perf_counter()
        post(conn, "/api/blend", {"a": ids[0], "b": ids[1], "t": round(float(t), 3),
                                  "mode": "slerp" if i % 2 else "lerp"})
        if i >= 10:  # the first few warm the connection
            times.append(time.perf_counter() - started)
    conn.close()
    return summary("end to end: 1 HTTP client, keep-alive", times)


def concurrent(port: int, ids, clients: int, per_client: int, seed: int, limit_s: float) -> dict:
    barrier = threading.Barrier(clients)
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + limit_s
    errors = []

    def client(k: int):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        rng = np.random.default_rng(seed + k)
        mine = []
        try:
            post(conn, "/api/blend", {"a": ids[0], "b": ids[1], "t": 0.5})  # connect before the race
            barrier.wait()
            for t in rng.random(per_client):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                post(conn, "/api/blend", {"a": ids[0], "b": ids[1], "t": round(float(t), 3)})
                mine.append(time.perf_counter() - started)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))
        finally:
            conn.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} client errors, first: {errors[0]}")
    row = summary(f"load: {clients} concurrent HTTP clients", times)
    row["requests_per_s"] = len(times) / wall
    print(f"{'':<44} {row['requests_per_s']:.0f} requests/s over {wall:.1f} s")
    return row


def browser(port: int, presses: int) -> dict | None:
    chromium = Path("/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: playwright is not installed; skipped")
        return None
    if not chromium.is_file():
        print(f"browser: {chromium} not found; skipped")
        return None
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=args)
        page = b.new_page()
        page.goto(f"http://{HOST}:{port}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.evaluate("() => performance.setResourceTimingBufferSize(10000)")
        page.focus("#t")
        for i in range(presses):
            key = "ArrowRight" if (i // 30) % 2 == 0 else "ArrowLeft"  # sweep back and forth
            page.keyboard.press(key)
            value = page.input_value("#t")
            page.wait_for_function("v => document.body.dataset.frameT === v", arg=str(float(value)),
                                   timeout=10_000)
        durations = page.evaluate("""() => performance.getEntriesByType('resource')
            .filter(e => e.name.endsWith('/api/blend')).map(e => e.responseEnd - e.startTime)""")
        b.close()
    durations = durations[5:]  # page start-up requests
    return summary("browser: slider request round trip", [d / 1000.0 for d in durations])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames", type=int, default=300, help="server-side frames to time")
    parser.add_argument("--requests", type=int, default=300, help="sequential HTTP requests")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--browser", action="store_true", help="also time the slider in headless Chromium")
    parser.add_argument("--presses", type=int, default=120, help="slider key presses in the browser")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds for the load phase at most")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    from notaverage import lab, zoo

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cpus {os.cpu_count()}, load average {load:.1f} at start; torch threads 1 in the server",
          flush=True)
    data = lab.load_data(args.data_dir, args.limit, args.seed, progress=False)
    trained = zoo.get_models(data, zoo.MODEL_NAMES, args.preset, args.seed, progress=True)
    models = {name: t.model for name, t in trained.items()}
    labels = data.test_labels
    ids = (f"test:{int(np.flatnonzero(labels == 9)[0])}", f"test:{int(np.flatnonzero(labels == 2)[0])}")
    print(f"data: {data.note}; preset {args.preset}; blending {ids[0]} (a 9) and {ids[1]} (a 2)", flush=True)

    rows = [server_side(models, data, args.seed, args.frames, ids)]
    proc, port = start_server(args)
    try:
        rows.append(sequential(port, ids, args.requests, args.seed))
        rows.append(concurrent(port, ids, args.clients, args.per_client, args.seed, args.time_limit))
        if args.browser:
            row = browser(port, args.presses)
            if row:
                rows.append(row)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load_end:.1f} at the end (2 cores: above 2 means other work shared the CPU)")
    if args.json:
        summary = {"load_start": load, "load_end": load_end, "rows": rows}
        atomic_write_text(args.json, json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
