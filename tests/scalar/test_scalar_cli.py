"""``chainrule graph``, called in-process through ``chainrule.cli.main``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.commands.graph import parse_at
from chainrule.errors import ConfigError
from tests.scalar.helpers import graph_json

SVG = "{http://www.w3.org/2000/svg}"


def test_graph_json_reports_value_gradients_and_every_node(capsys):
    code, payload, _ = graph_json(capsys, "(x+y)*z", "--at", "x=-2,y=5,z=-4")
    assert code == 0 and payload["ok"] is True
    assert payload["value"] == -12.0
    assert payload["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert payload["at"] == {"x": -2.0, "y": 5.0, "z": -4.0}
    nodes = {n["label"]: n for n in payload["nodes"]}
    assert nodes["v1"]["operation"] == "x + y" and nodes["v1"]["flow"] == "distribute"
    assert nodes["v1"]["local_grads"] == [1.0, 1.0] and nodes["v1"]["grad"] == -4.0
    assert nodes["v2"]["inputs"] == ["v1", "z"] and nodes["v2"]["flow"] == "split & scale"


def test_graph_writes_svg_and_dot(tmp_path, capsys):
    svg, dot = tmp_path / "g.svg", tmp_path / "g.dot"
    code, payload, _ = graph_json(
        capsys,
        "L = sigmoid(w @ x + b)",
        "--at",
        "w=[2,-3,2],x=[-1,-2,0.5]",
        "--at",
        "b=-4",
        "--svg",
        str(svg),
        "--dot",
        str(dot),
    )
    assert code == 0 and payload["svg"] == str(svg)
    assert payload["gradients"]["b"] == pytest.approx(0.19661193324148185, rel=1e-15)
    texts = [t.text for t in ET.parse(svg).getroot().iter(f"{SVG}text")]
    assert "L = sigmoid(v6)" in texts and "grad 0.1966" in texts
    assert dot.read_text(encoding="utf-8").startswith("digraph chainrule {")


def test_graph_prints_the_tables_as_text_or_markdown(capsys):
    assert main(["graph", "(x+y)*z", "--at", "x=-2,y=5,z=-4"]) == 0
    text = capsys.readouterr().out
    assert "Forward pass" in text and "Backward pass" in text
    assert "∂v2/∂x = -4" in text and "distribute flow unchanged" in text
    assert main(["graph", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--format", "markdown"]) == 0
    assert "| 3 | v1 | x + y | 3 | ∂v1/∂x = 1, ∂v1/∂y = 1 |" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["(x+y)*z", "--at", "x=-2,y=5"], "z"),
        (["log(x)", "--at", "x=-1"], "positive"),
        (["x", "--at", "x=abc"], "expected a number"),
        (["x", "--at", "x"], "NAME=VALUE"),
        (["x", "--at", "x=1,x=2"], "twice"),
        (["x", "--at", "x=inf"], "finite"),
    ],
)
def test_graph_errors_exit_2_with_a_message(capsys, argv, words):
    code, payload, err = graph_json(capsys, *argv)
    assert code == 2
    assert payload["ok"] is False and words in payload["message"]
    assert "Traceback" not in err


def test_graph_unwritable_svg_is_reported(tmp_path, capsys):
    code, payload, _ = graph_json(
        capsys, "x*y", "--at", "x=1,y=2", "--svg", str(tmp_path / "no" / "g.svg")
    )
    assert code == 2 and "cannot write" in payload["message"]


def test_parse_at_reads_numbers_vectors_and_matrices():
    assert parse_at(["x=-2, y=1e-3", "W=[[1,2],[3,4]],v=[1, -2]"]) == {
        "x": -2.0,
        "y": 0.001,
        "W": [[1, 2], [3, 4]],
        "v": [1, -2],
    }
    with pytest.raises(ConfigError):
        parse_at(["w=[1,2"])


def test_parse_at_takes_semicolons_between_pairs_as_derive_writes_them():
    assert parse_at(["x=1; y=2; w=[1, 2]"]) == {"x": 1.0, "y": 2.0, "w": [1, 2]}
    with pytest.raises(ConfigError, match="expected a number"):
        parse_at(["w=[1; 2]"])  # inside a list, a semicolon is no separator


README_PICTURE = Path(__file__).resolve().parents[2] / "docs" / "sigmoid_neuron.svg"
README_COMMAND = [
    "graph",
    "L = sigmoid(w0*x0 + w1*x1 + w2*x2 + b)",
    "--at",
    "w0=2,x0=-1,w1=-3,x1=-2,w2=2,x2=0.5,b=-4",
]


def test_the_readme_picture_is_what_the_command_draws_today(tmp_path, capsys):
    fresh = tmp_path / "neuron.svg"
    assert main([*README_COMMAND, "--svg", str(fresh)]) == 0
    capsys.readouterr()
    assert README_PICTURE.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        "docs/sigmoid_neuron.svg is stale; regenerate it with: chainrule "
        + " ".join(f'"{a}"' if " " in a else a for a in README_COMMAND)
        + " --svg docs/sigmoid_neuron.svg"
    )
    texts = [t.text for t in ET.parse(README_PICTURE).getroot().iter(f"{SVG}text")]
    for expected in ("w0", "b", "L = sigmoid(v6)", "value 0.7311", "grad 0.1966", "-0.5898"):
        assert expected in texts
