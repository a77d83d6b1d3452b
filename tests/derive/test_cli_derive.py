"""chainrule derive on the command line: formats, --json, --out, --trace --at, errors."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import chainrule as cr
from chainrule.cli import main


def _run(capsys, *argv):
    code = main(["derive", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_is_seed003_verified_with_its_trace(capsys):
    code, out, _ = _run(capsys, "--verify", "--trace")
    assert code == 0
    assert "J = 1 / 2 * ||y - t||**2 = 1/8" in out
    assert "[-1/8, -1/16; 0, 0]" in out
    assert "largest relative error 0 (ok)" in out


def test_json_is_one_object_with_every_step(capsys):
    code, out, _ = _run(capsys, "--model", "seed004-4-2-1-sigmoid", "--verify", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"]
    steps = {s["name"]: s for s in data["derivation"]["steps"]}
    assert steps["db1"]["rhs"] == "\\delta^{[1]} u^T"
    assert steps["dW1"]["error"] == 0.0 or steps["dW1"]["error"] < 1e-12
    assert data["derivation"]["layout"] == "column"


@pytest.mark.parametrize("fmt", ["latex", "markdown", "html", "json", "text"])
def test_every_format_writes_a_file(capsys, tmp_path, fmt):
    out = tmp_path / f"d.{fmt}"
    code, stdout, err = _run(
        capsys, "--model", "seed001-4-3-2-1", "--format", fmt, "--out", str(out)
    )
    assert code == 0 and stdout == "" and "wrote" in err
    text = out.read_text(encoding="utf-8")
    assert "W" in text
    if fmt == "html":
        assert (
            "<math" in text and "<script" not in text and "src=" not in text and "href" not in text
        )
    if fmt == "json":
        assert json.loads(text)["notation"] == "seed001"


def test_layers_spec_with_notation_and_layout(capsys):
    code, out, _ = _run(
        capsys, "--layers", "4-3-tanh-2", "--loss", "mse", "--notation", "seed004",
        "--layout", "column", "--batch", "--verify",
    )  # fmt: skip
    assert code == 0
    assert "A^[1] = tanh(Z^[1])" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--notation", "seed05"], "Did you mean 'seed004'"),
        (["--model", "seed03"], "unknown zoo network"),
        (["--layers", "4-3-foo-1", "--loss", "mse"], "unknown activation 'foo'"),
        (
            [
                "--layers",
                '[{"type": "Linear", "d_in": 3, "d_out": 2}, {"type": "Linear", '
                '"d_in": 3, "d_out": 1}]',
                "--loss",
                "mse",
            ],
            "takes 3 inputs but the layer before",
        ),
        (["--trace", "--at", "W1=[[0.75, 0.5], [-1, 1, 2]]"], "rows have different lengths"),
        (["--trace", "--at", "W1=[[1, 2, 3]]"], "got shape (1, 3), expected (2, 2)"),
        (["--trace", "--at", "W1=[[1, x], [1, 1]]"], "'x' is not a number at column 5"),
        (["--trace", "--at", "W7=[1]"], "unknown name 'W7'"),
        (
            ["--trace", "--at", "x=[1, 0.5], y=1"],
            "a ',' after the value (entries are apart by ';')",
        ),
        (["--trace", "--at", "b1=1"], "got shape (), expected (2,)"),
        (["--at", "x=[1, 2]"], "add --trace"),
        (["--layers", "4-3-relu-1"], "needs --loss"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(capsys, argv, message):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_at_takes_notation_names_and_flags_relu_at_zero(capsys):
    at = "x=[1, 0.5]; W1=[[0.75, 0.5], [-1, 2]]; b1=[0, 0]; W^{(2)}=[[1], [1]]; b2=[-1]; y=[1]"
    code, out, _ = _run(capsys, "--trace", "--at", at)
    assert code == 0
    assert "h^{(1)} has the entry (2, 1) exactly 0: ReLU'(0) = 0" in out


def test_at_takes_one_number_for_an_array_of_one_entry(capsys):
    flat = _run(capsys, "--trace", "--single", "--at", "x=[1, 0.5]; y=[1]")
    number = _run(capsys, "--trace", "--single", "--at", "x=[1, 0.5]; y=1")
    assert number[0] == 0 and number[1] == flat[1]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("name", cr.zoo.names())
def test_document_compiles_with_pdflatex(tmp_path, capsys, name):
    tex = tmp_path / "derivation.tex"
    code, _, _ = _run(
        capsys, "--model", name, "--document", "--verify", "--trace", "--out", str(tex)
    )
    assert code == 0
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "derivation.pdf").stat().st_size > 1000
