"""Screenshots of ``chainrule explore`` for the README, taken in headless Chromium.

    python docs/explore_screenshots.py          # writes docs/explore_*.png

1. ``explore_backward.png``: seed 003's worked example, stepped back to layer 1, with the
   weight ``W1[1, 2]`` selected (its gradient is the example's -1/16).
2. ``explore_training.png``: seed 004's 4-2-1 network after 300 steps of momentum in seed
   004's convention, the loss curve beside it.
3. ``explore_formula.png``: the formula mode, half-way through the backward pass of
   ``sigma(w^T x + b)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def shoot(model: str, script, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from chainrule.explore.network import build_setup
    from chainrule.explore.server import start
    from chainrule.explore.session import Session

    with start(Session(build_setup(model=model))) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 940})
        page.goto(server.url)
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        script(page)
        page.wait_for_timeout(300)
        page.screenshot(path=str(path))
        browser.close()
    print(f"wrote {path}")


def backward(page) -> None:
    for _ in range(5):
        page.click("#step-next")
    page.dispatch_event('line.edge[data-param="W1"][data-i="0"][data-j="1"]', "click")


def training(page) -> None:
    page.select_option("#optimizer", "momentum-ema")
    page.fill("#lr", "0.5")
    page.fill("#train-n", "300")
    page.click("#train-many")
    page.wait_for_function("() => document.getElementById('train-steps').textContent === '300'")
    page.click('g.unit[data-column="2"][data-unit="0"]')


def formula(page) -> None:
    page.click("#mode-formula")
    page.wait_for_selector("#formula-graph svg g.node")
    page.fill("#formula-text", r"\sigma(w^T x + b)")
    page.fill("#formula-at", "w=[2,-3], x=[-1,-2], b=-3")
    page.click("#formula-run")
    page.wait_for_selector("#formula-graph[data-formula*='sigma'] svg g.node")
    n = page.locator("#formula-graph g.node").count()
    for _ in range(n + n // 2):
        page.click("#fstep-next")


if __name__ == "__main__":
    shoot("seed003-relu-sigmoid-2-2-1", backward, HERE / "explore_backward.png")
    shoot("seed004-4-2-1-sigmoid", training, HERE / "explore_training.png")
    shoot("seed003-relu-sigmoid-2-2-1", formula, HERE / "explore_formula.png")
