"""Every subcommand against a table of user mistakes: a one-line message and the documented
exit code, never a traceback, the JSON error object on stdout under ``--json``, and no run
folder left behind. Run in-process (an uncaught exception fails the test, as a traceback
would show); only the signal cases need a process of their own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chainrule as cr
from chainrule.cli import main

ROOT = Path(__file__).resolve().parents[1]
USAGE, CHECK, DATA = 2, 3, 4

#: (argv, exit code, a piece the message must contain). ``{file}`` is an existing file,
#: ``{dir}`` a folder, ``{binary}`` a file of non-text bytes, ``{ckpt}`` a valid checkpoint,
#: ``{fifo}`` a named pipe (reading it would wait for a writer forever).
CASES = [
    ([], USAGE, "required"),
    (["nosuch"], USAGE, "invalid choice"),
    (["train", "--lr", "abc"], USAGE, "invalid float value"),
    (["train", "--learning-rate", "0.1"], USAGE, "did you mean --lr"),
    (["train", "--bogus"], USAGE, "unrecognized option --bogus"),
    (["train", "--config", "{dir}"], USAGE, "config"),
    (["train", "--config", "{binary}"], USAGE, "config"),
    (["train", "--config", "{fifo}"], USAGE, "FIFO"),
    (["train", "--config", "missing.toml"], USAGE, "does not exist"),
    (["train", "--out", "/proc/chainrule-test/run"], USAGE, "--out"),
    (["train", "--out", "./{file}"], USAGE, "--out"),
    (["train", "--out", "./{file}/run"], USAGE, "--out"),
    (["train", "--model", "seed002"], USAGE, "seed002-two-layer-softmax"),
    (["train", "--layers", ""], USAGE, "--layers"),
    (["train", "--layers", "32-foo-10"], USAGE, "unknown activation"),
    (["train", "--epochs", "0"], USAGE, "epochs"),
    (["train", "--batch-size", "0"], USAGE, "batch"),
    (["train", "--patience", "-1"], USAGE, "patience"),
    (["train", "--checkpoint-every", "0"], USAGE, "every"),
    (["train", "--schedule", "foo"], USAGE, "schedule"),
    (["train", "--seed", "-1"], USAGE, "seed"),
    (["train", "--validation", "1.5"], USAGE, "validation"),
    (["train", "--data", "nosuch"], USAGE, "data source"),
    (["train", "--resume", "missing.chainrule"], DATA, "does not exist"),
    (["evaluate"], USAGE, "required"),
    (["evaluate", "missing.chainrule"], DATA, "does not exist"),
    (["evaluate", "{file}"], DATA, "checkpoint"),
    (["predict", "{ckpt}", "missing.csv"], DATA, "missing.csv"),
    (["predict", "missing.chainrule", "x.csv"], DATA, "does not exist"),
    (["gradcheck", "--tol=-1"], USAGE, "--tol"),
    (["gradcheck", "--eps", "0"], USAGE, "--eps"),
    (["gradcheck", "--seed", "-3"], USAGE, "--seed"),
    (["gradcheck", "--model", "nope"], USAGE, "unknown zoo network"),
    (["gradcheck", "--mode", "everything"], USAGE, "invalid choice"),
    (["graph"], USAGE, "required"),
    (["graph", "x +* y"], USAGE, ""),
    (["graph", "x*y", "--at", "x=abc"], USAGE, "--at"),
    (["rbm"], USAGE, "required"),
    (["rbm", "train", "--hidden", "0"], USAGE, "hidden"),
    (["rbm", "train", "--epochs", "-1"], USAGE, "epochs"),
    (["rbm", "train", "--lr", "x"], USAGE, "invalid float value"),
    (["rbm", "train", "--out", "{file}"], USAGE, "--out"),
    (["explore", "--model", "nope"], USAGE, "unknown zoo network"),
    (["explore", "--port", "abc"], USAGE, "invalid int value"),
    (["explore", "--layers", ""], USAGE, "--layers is empty"),
    (["explore", "--rows", "0"], USAGE, "--rows must be a whole number >= 1"),
    (["explore", "--layers", "3-relu-1", "--inputs", "0"], USAGE, "--inputs must be"),
    (["explore", "missing.chainrule"], DATA, "does not exist"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad-arguments")
    (base / "plain.txt").write_text("not a checkpoint\n", encoding="utf-8")
    (base / "blob.toml").write_bytes(bytes(range(256)) * 4)
    (base / "folder").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(base / "pipe.toml")
    model = cr.Sequential([cr.Linear(64, 10)], seed=0)
    cr.save(model, base / "model.chainrule")
    return base


def _fill(argv, files):
    names = {
        "{file}": "plain.txt",
        "{binary}": str(files / "blob.toml"),
        "{dir}": str(files / "folder"),
        "{ckpt}": str(files / "model.chainrule"),
        "{fifo}": str(files / "pipe.toml"),
    }
    out = []
    for arg in argv:
        for key, value in names.items():
            arg = arg.replace(key, value)
        out.append(arg)
    return out


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's usage errors
        code = done.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("json_flag", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(("argv", "code", "says"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_mistake_is_one_message_and_its_exit_code(
    argv, code, says, json_flag, files, tmp_path, monkeypatch, capsys
):
    if "{fifo}" in argv and not hasattr(os, "mkfifo"):
        pytest.skip("this system has no named pipes (os.mkfifo)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.txt").write_text("a file, not a folder\n", encoding="utf-8")
    args = _fill(argv, files) + (["--json"] if json_flag else [])
    got, out, err = _run(args, capsys)
    assert got == code, f"exit {got}, expected {code}\nstderr:\n{err}"
    assert "Traceback" not in err
    assert says in err
    if json_flag:
        payload = json.loads(out.strip().splitlines()[-1])
        assert payload["ok"] is False and payload["exit_code"] == code
        assert payload["error"] and payload["message"]
    else:
        assert out == ""
    assert not (tmp_path / "runs").exists(), "a usage error left a run folder behind"


def _wait_until_loading(proc, timeout=60.0):
    """Block until the child is past the interpreter's own start-up and loading NumPy.

    A fixed sleep raced the interpreter's start on a loaded machine (a Ctrl-C inside
    ``site`` is Python's, before any chainrule code runs); NumPy's core extension in the
    child's memory map means chainrule's modules are loading, which is the window tested.
    """
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if "_multiarray_umath" in maps.read_text(errors="replace"):
                return
        except OSError:
            return
        time.sleep(0.005)


def _start(argv, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, "-m", "chainrule", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ctrl_c_while_the_modules_load_is_a_message_and_130(tmp_path):
    proc = _start(["train", "--epochs", "1"], tmp_path)
    _wait_until_loading(proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode in (130, 0), err  # 0 only if it finished first on a fast machine
