"""The README's quick start stays true: two lines, the second is what CI runs, the examples run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_lines_install_run_and_install_test():
    first, second = _quick_start()
    assert first.startswith("pip install .") and "chainrule " in first
    assert ".[test]" in second and "pytest" in second


def test_ci_runs_the_readme_test_line_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start()[1] in ci.splitlines()


def test_python_examples_in_the_readme_run(tmp_path):
    for i, block in enumerate(_blocks("python")):
        script = tmp_path / f"readme_example_{i}.py"
        script.write_text(block, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert done.returncode == 0, f"README example {i} failed:\n{block}\n{done.stderr}"


def test_the_first_example_checks_gradients_that_are_not_zero(capsys):
    namespace: dict = {}
    exec(compile(_blocks("python")[0], "README example 0", "exec"), namespace)
    model, report = namespace["model"], namespace["report"]
    for name, p in model.named_parameters():
        assert (p.grad != 0).all(), f"{name} has zero gradient entries: the check proves less"
    assert report.ok
    assert capsys.readouterr().out.splitlines()[-1] == f"True {report.max_rel_error:.0e}"


def test_the_rbm_line_in_the_readme_is_what_the_command_prints(tmp_path, capsys):
    from chainrule.cli import main

    line = next(ln for ln in README.splitlines() if ln.startswith("held-out log-likelihood"))
    assert main(["rbm", "train", "--out", str(tmp_path), "-q", "--sample-steps", "1"]) == 0
    assert line in capsys.readouterr().out.splitlines()


def test_the_readme_names_no_file_a_user_does_not_have():
    assert "shared notes" not in README and "DESIGN.md" not in README
    assert "seed 00" not in README  # networks are named by what they are
