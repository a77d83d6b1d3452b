"""``chainrule graph`` for a user: 80 columns, warnings, pictures any renderer shows, and
hostile arguments answered with a message, quickly."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from chainrule.cli import main
from chainrule.scalar import build, to_svg
from chainrule.scalar.table import MAX_TEXT_ROWS, print_tables
from tests.scalar.helpers import graph_json

SVG = "{http://www.w3.org/2000/svg}"


def neuron():
    out, _ = build("L = sigmoid(w @ x + b)", {"w": [2, -3, 2], "x": [-1, -2, 0.5], "b": -4})
    out.backward()
    return out


def test_tables_read_well_at_80_columns() -> None:
    buffer = io.StringIO()
    print_tables(neuron(), Console(file=buffer, width=80, color_system=None))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    forward = lines[: next(i for i, t in enumerate(lines) if t.startswith("Backward"))]
    steps = [t for t in forward if t.startswith("│") and t.split("│")[1].strip()]
    assert len(steps) == 14  # one row per node: nothing folded into the next line
    assert any("split & scale" in t and "w2 ← 0.1966×0.5 = 0.09831" in t for t in lines)


def test_a_long_table_shows_its_ends_and_says_what_it_leaves_out() -> None:
    out, _ = build("\\sum_{i=1}^{5000} x_i", {"x": [1.0] * 5000})
    out.backward()
    buffer = io.StringIO()
    print_tables(out, Console(file=buffer, width=80, color_system=None))
    text = buffer.getvalue()
    assert "more rows" in text.replace("\n", " ")
    assert text.count("\n") < 8 * MAX_TEXT_ROWS


def test_svg_legend_fits_a_small_graph_and_edge_labels_have_a_background() -> None:
    out, _ = build("x*y", {"x": 2, "y": 3})
    out.backward()
    root = ET.fromstring(to_svg(out))
    width = float(root.get("width"))
    for legend in (t for t in root.iter(f"{SVG}text") if t.get("class") == "legend"):
        plain = "".join(legend.itertext())
        assert float(legend.get("x")) + len(plain) * 7.3 <= width
    for edge in (g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"):
        kinds = [child.tag.replace(SVG, "") for child in edge]
        assert kinds.index("rect") < kinds.index("text")  # drawn first, behind the label
        assert edge.find(f"{SVG}text").get("paint-order") is None


def test_an_unused_at_name_gets_a_warning(capsys) -> None:
    assert main(["graph", "x*y", "--at", "x=1,y=2,q=3", "--json"]) == 0
    captured = capsys.readouterr()
    assert "warning: --at gives q, which the formula does not use" in captured.err
    assert json.loads(captured.out)["warnings"] == ["--at gives q, which the formula does not use"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["x", "--at", "x=" + "[" * 100_000], "brackets nest deeper than a matrix"),
        (["x", "--at", "\udcff=1"], "holds a byte that is not text"),
        (["x\udcff", "--at", "x=1"], "not UTF-8"),
        (["\\sum_{i=1}^{99999} x", "--at", "x=1"], "more than 100,000 nodes"),
        (["\\sum_{i=1}^{3000}\\sum_{j=1}^{3000} x", "--at", "x=1"], "more than 100,000 nodes"),
        (["\\frac{\\partial x}{\\partial y}", "--at", "x=1,y=2"], "derivative"),
        (["I_{30000} v", "--at", "v=[1,2]"], ""),
        (["x^{1}" + "x" * 300, "--at", "x=1"], "nests deeper"),
    ],
)
def test_hostile_graph_runs_end_with_a_message(capsys, argv, words) -> None:
    code, payload, err = graph_json(capsys, *argv)
    assert code == 2 and payload["ok"] is False and words in payload["message"]
    assert "Traceback" not in err
