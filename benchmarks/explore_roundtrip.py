"""Round trip of ``chainrule explore`` on a network of 10,224 parameters (100 inputs,
64-relu-50-relu-10, half squared error, 8 examples): a weight edit, the forward and backward
pass, the JSON answer and, in Chromium, the redrawn picture.

    python benchmarks/explore_roundtrip.py [--edits 200] [--no-browser]

Three figures, each the median and the 95th percentile over the edits:

- ``server``: the edit handled in-process (``Session.set_parameter`` plus the JSON snapshot
  the page receives), no network;
- ``http``: a POST to ``/api/parameter`` on a real uvicorn server on 127.0.0.1 and the whole
  answer read and parsed by the client (keep-alive connection, as the browser has);
- ``browser``: in headless Chromium, from submitting the edit on the page to the picture,
  the units and the loss redrawn (measured in the page with ``performance.now``, up to the
  next frame), skipped where there is no Chromium or Playwright. The formulas panel is
  refreshed by a second request after that; each edit waits until it is done, as a
  student's next edit would, and it is not part of the figure.

The target is under 100 ms for the whole round trip.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.explore.helpers import CHROMIUM_ARGS  # noqa: E402

SPEC, INPUTS = "64-relu-50-relu-10", 100
CHROMIUM = "/usr/bin/chromium"


def make_session():
    from chainrule.explore.network import build_setup
    from chainrule.explore.session import Session

    setup = build_setup(layers=SPEC, inputs=INPUTS, loss="half-squared-error")
    return Session(setup)


def summary(times: list[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times)
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
    }


def bench_server(edits: int) -> dict[str, float]:
    from starlette.responses import JSONResponse

    sess = make_session()
    times = []
    for k in range(edits):
        t0 = time.perf_counter()
        sess.set_parameter("W1", [k % 64, k % 100], 0.01 * (k % 7))
        JSONResponse(sess.snapshot(weights=False)).body  # noqa: B018 - the encoding is timed
        times.append(time.perf_counter() - t0)
    return summary(times)


def bench_http(edits: int) -> tuple[dict[str, float], int]:
    import httpx

    from chainrule.explore.server import start

    with start(make_session()) as server, httpx.Client(base_url=server.url.rstrip("/")) as c:
        c.get("/api/state")
        times, size = [], 0
        for k in range(edits):
            body = {"name": "W2", "index": [k % 50, k % 64], "value": 0.02 * (k % 5)}
            t0 = time.perf_counter()
            r = c.post("/api/parameter", json=body)
            data = r.json()
            times.append(time.perf_counter() - t0)
            assert data["ok"], data
            size = len(r.content)
    return summary(times), size


def bench_browser(edits: int) -> dict[str, float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not os.path.exists(CHROMIUM):
        return None
    from chainrule.explore.server import start

    measure = """async ([k]) => {
        const loss = document.getElementById('loss');
        const before = loss.dataset.value;
        document.getElementById('insp-edit').value = String(0.05 * (k % 9) - 0.2);
        const t0 = performance.now();
        const changed = new Promise((resolve) => {
            const obs = new MutationObserver(() => {
                if (loss.dataset.value !== before) { obs.disconnect(); resolve(); }
            });
            obs.observe(loss, { attributes: true, childList: true, characterData: true, subtree: true });
        });
        document.getElementById('insp-form').requestSubmit();
        await changed;
        await new Promise((r) => requestAnimationFrame(() => r()));
        return performance.now() - t0;
    }"""
    with start(make_session()) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.goto(server.url)
        pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
        pg.dispatch_event('line.edge[data-param="W1"][data-i="3"][data-j="7"]', "click")
        times = []
        ready = "() => document.body.dataset.steps === 'ready'"
        for k in range(edits):
            pg.wait_for_function(ready)  # the last edit's formulas are in: the page is idle
            times.append(pg.evaluate(measure, [k]) / 1000)
        browser.close()
    return summary(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sess = make_session()
    n_params = sess.n_parameters
    result = {"parameters": n_params, "edits": args.edits, "server": bench_server(args.edits)}
    result["http"], result["answer_bytes"] = bench_http(args.edits)
    if not args.no_browser:
        result["browser"] = bench_browser(max(20, args.edits // 4))
    if args.json:
        print(json.dumps(result))
        return
    print(f"explore round trip, {n_params:,} parameters, {args.edits} edits (median / p95 ms)")
    for key in ("server", "http", "browser"):
        value = result.get(key)
        if value:
            print(f"  {key:<8} {value['median_ms']:8.2f} / {value['p95_ms']:.2f}")
        elif key == "browser":
            print("  browser  skipped (no Chromium or Playwright)")
    print(f"  answer   {result['answer_bytes']:,} bytes of JSON")


if __name__ == "__main__":
    main()
