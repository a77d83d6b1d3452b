"""The page end to end in a real headless Chromium (Debian's ``chromium``, driven by
Playwright for Python; never ``playwright install``): load it, step through the forward and
the backward pass, click every weight and compare the gradient shown with the engine's, edit a
weight and compare the loss shown with the engine's. Skips where there is no browser.

Run with ``-s`` to see the figures: steps clicked, values compared, largest difference.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

import chainrule as cr
from tests.explore.helpers import CHROMIUM_ARGS, engine, needs_web, session

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    needs_web,
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="Playwright for Python is not installed (pip install playwright)",
    ),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    from chainrule.explore.server import start

    with start(session()) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server.url)
        pg.wait_for_selector("body[data-ready='1']", timeout=20_000)
        pg.errors = errors
        yield pg
        browser.close()


def click_edge(pg, name: str, i: int, j: int) -> None:
    """A real mouse click a quarter of the way along the edge of ``name[i, j]``, where no
    other edge crosses it."""
    x, y = pg.evaluate(
        """([name, i, j]) => {
            const e = document.querySelector(
                `line.edge[data-param="${name}"][data-i="${i}"][data-j="${j}"]`);
            const t = 0.25, m = e.getScreenCTM();
            const px = (1 - t) * e.x1.baseVal.value + t * e.x2.baseVal.value;
            const py = (1 - t) * e.y1.baseVal.value + t * e.y2.baseVal.value;
            const p = new DOMPoint(px, py).matrixTransform(m);
            return [p.x, p.y];
        }""",
        [name, i, j],
    )
    pg.mouse.click(x, y)


def shown(pg, selector: str) -> tuple[float, float]:
    """The number the page shows (its text) and the full number it holds (``data-value``)."""
    el = pg.locator(selector)
    return float(el.inner_text()), float(el.get_attribute("data-value"))


def test_step_click_and_edit_match_the_engine(page):
    pg = page
    figures = {"steps clicked": 0, "values compared": 0, "largest difference shown": 0.0}

    def compare(selector: str, expected: float) -> None:
        text, full = shown(pg, selector)
        assert full == expected, (selector, full, expected)  # the engine's float, unchanged
        assert text == pytest.approx(expected, rel=1e-5, abs=1e-9)  # shown to 6 digits
        figures["values compared"] += 1
        worst = max(figures["largest difference shown"], abs(text - expected))
        figures["largest difference shown"] = worst

    ref = engine()
    compare("#loss", ref["loss"])

    # Forward layer by layer, the loss, then backward layer by layer.
    total = int(pg.inner_text("#step-count").split("/")[1]) if pg.inner_text("#step-count") else 0
    assert total == 5
    titles = []
    for _ in range(total):
        pg.click("#step-next")
        figures["steps clicked"] += 1
        titles.append(pg.inner_text("#step-title"))
    assert titles[0].startswith("Forward, layer 1") and titles[2].startswith("Loss")
    assert titles[-1].startswith("Backward, layer 1")
    assert pg.locator('line.edge.hl[data-param="W1"]').count() == 4
    assert pg.locator('line.edge.hl[data-param="W2"]').count() == 0
    assert pg.locator('g.unit.hl[data-column="0"]').count() == 2
    # derive's steps of layer 1 as MathML, in seed 003's notation, then in seed 004's.
    assert pg.locator("#step-math math").count() >= 3
    assert "J" in pg.locator("#step-math mi").all_text_contents()  # seed 003's loss is J
    pg.select_option("#notation", "seed004")
    pg.wait_for_function("() => document.getElementById('step-math').textContent.includes('δ')")
    pg.select_option("#notation", "seed003")
    pg.wait_for_function("() => document.getElementById('step-math').textContent.includes('J')")

    # Every weight: click it, read value and gradient.
    for name, grad in ref["grads"].items():
        if name[0] != "W":
            continue
        value = dict(ref["net"].model.named_parameters())[name].value
        for i in range(grad.shape[0]):
            for j in range(grad.shape[1]):
                click_edge(pg, name, i, j)
                assert pg.get_attribute("#insp-name", "data-key") == f"{name}[{i},{j}]"
                compare("#insp-grad", float(grad[i, j]))
                assert pg.locator("#insp-formula math").count() >= 1  # the formula behind it
                compare("#insp-value", float(value[i, j]))
    # The inputs: dL/dx from the engine's backward.
    for j in range(2):
        pg.click(f'g.unit[data-column="0"][data-unit="{j}"]')
        compare("#insp-grad", float(ref["dX"][0, j]))

    # Edit W1[1, 2] (0-based [0, 1]): the loss and the gradients follow at once.
    click_edge(pg, "W1", 0, 1)
    pg.fill("#insp-edit", "0.3")
    pg.press("#insp-edit", "Enter")
    pg.wait_for_function("() => document.getElementById('loss').dataset.value !== '0.125'")
    edited = engine(edits={("W1", (0, 1)): 0.3})
    compare("#loss", edited["loss"])
    compare("#insp-value", 0.3)
    compare("#insp-grad", float(edited["grads"]["W1"][0, 1]))
    click_edge(pg, "W2", 0, 0)
    compare("#insp-grad", float(edited["grads"]["W2"][0, 0]))

    # One SGD step at the page's default rate 0.1: the loss shown is the engine's after it.
    pg.click("#train-one")
    pg.wait_for_function("() => document.getElementById('train-steps').textContent === '1'")
    net = edited["net"]
    opt = cr.SGD(net.model, lr=0.1)
    net.model.backward(net.loss.backward())  # the edited weights' gradients, from engine()
    opt.step()
    compare("#loss", float(net.loss.forward(net.model.forward(net.X), net.y)))
    assert pg.locator("#curve polyline").count() == 1

    # Exports: the picture as SVG from the page, the derivation as LaTeX from derive.
    with pg.expect_download() as got:
        pg.click("#export-svg")
    svg = Path(got.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count('<line class="edge') == 6
    with pg.expect_download() as got:
        pg.click("#export-latex")
    assert "\\frac{\\partial J}{\\partial W^{(1)}}" in Path(got.value.path()).read_text()

    # A refused request: the server's JSON error is shown on the page.
    pg.fill("#net-layers", "1000-relu-1000-1")
    pg.click("#net-layers-build")
    pg.wait_for_selector("#error:not([hidden])")
    assert "parameters" in pg.inner_text("#error-text")
    assert pg.errors == []
    figures["held values"] = "equal to the engine's, bit for bit"
    print("\nexplore browser test:", ", ".join(f"{k} {v}" for k, v in figures.items()))


def test_formula_mode_steps_the_flow_rules(page):
    pg = page
    pg.click("#mode-formula")
    pg.wait_for_selector("#formula-graph svg g.node")
    nodes = pg.locator("#formula-graph g.node").count()
    assert nodes == 5  # x, y, v1 = x + y, z, v2 = v1 * z
    for _ in range(2 * nodes):
        pg.click("#fstep-next")
    assert pg.inner_text("#fstep-count") == f"{2 * nodes} / {2 * nodes}"
    assert (
        pg.inner_text("#fstep-text")
        == "x: leaf: the flows reaching it sum to its gradient; ∂v2/∂x = -4"
    )
    assert pg.locator("#formula-graph g.node.hl").count() == 1
    pg.click("#mode-network")
