"""Shared pieces of the tests that need a fresh interpreter (what an import loads)."""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> str:
    """Run ``code`` with ``python -c`` in a new process, so that ``sys.modules`` starts
    empty; its standard output. A nonzero exit fails the test and shows the stderr."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout
