"""``chainrule explore`` as a command: it serves on 127.0.0.1, stops on Ctrl-C, names the extra
when the web stack is missing, and ``import chainrule`` never loads that stack."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from chainrule.cli import main
from tests.explore.helpers import needs_web

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_import_chainrule_loads_no_web_stack():
    code = (
        "import sys, chainrule, chainrule.explore, chainrule.cli; chainrule.cli.build_parser(); "
        "print([m for m in ('starlette', 'uvicorn', 'httpx', 'latex2mathml') if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_missing_web_stack_names_the_extra(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    assert main(["explore", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "uvicorn" in err and 'pip install "chainrule[explore]"' in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--inputs", "3"], "--inputs"),
        (["--layers", "3-relu-xyz-1"], "unknown activation"),
        (["--model", "seed003-relu-sigmoid-2-2-1", "--data", "digits"], "fixes the sizes"),
        (["--port", "70000"], "--port 70000"),
        (["--data", "digits", "--rows", "1000"], "--rows 1000"),
        (["no/such/file.chainrule"], "no/such/file.chainrule"),
    ],
)
def test_bad_arguments_are_one_line_errors(argv, words, capsys):
    code = main(["explore", "--no-browser", *argv])
    err = capsys.readouterr().err
    assert code in (2, 4) and words in err and "Traceback" not in err


@needs_web
def test_the_command_serves_the_page_on_localhost_and_stops_on_ctrl_c():
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainrule",
            "explore",
            "--no-browser",
            "--port",
            "0",
            "--layers",
            "3-relu-1",
            "--inputs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/state", timeout=20) as r:
            state = json.loads(r.read())
        assert [c["width"] for c in state["network"]["columns"]] == [2, 3, 1]
        with urllib.request.urlopen(url, timeout=20) as r:
            assert b"chainrule explore" in r.read()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "stopped" in err and "Traceback" not in err
