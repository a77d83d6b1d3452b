"""Shared pieces of the explore tests: the app on a session, and the engine's own numbers
computed apart from the server (``model.forward``, the loss, ``model.backward``)."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

import chainrule as cr

HAVE_WEB = all(importlib.util.find_spec(m) for m in ("starlette", "uvicorn", "httpx"))
needs_web = pytest.mark.skipif(
    not HAVE_WEB, reason='the explore extra is not installed: pip install "chainrule[explore]"'
)
PORT = 8765
#: Flags of a headless Chromium that reaches nothing but the local server.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASE = f"http://127.0.0.1:{PORT}"


def session(**kw: Any):
    from chainrule.explore.network import build_setup
    from chainrule.explore.session import Session

    return Session(build_setup(**kw))


def client(sess=None):
    from starlette.testclient import TestClient

    from chainrule.explore.app import create_app

    return TestClient(create_app(sess or session(), port=PORT), base_url=BASE)


def unpack(p: dict) -> np.ndarray:
    """A parameter array as the API sends it (``{"shape", "f64"}``) back as NumPy."""
    import base64

    return np.frombuffer(base64.b64decode(p["f64"]), dtype="<f8").reshape(p["shape"])


def engine(name: str = "seed003-relu-sigmoid-2-2-1", edits: dict | None = None) -> dict:
    """Loss and every parameter gradient of zoo network ``name`` after ``edits``
    (``{(param, index): value}``), by the engine's public calls only."""
    net = cr.zoo.build(name, dtype=np.float64, seed=0)
    params = dict(net.model.named_parameters())
    for (pname, index), value in (edits or {}).items():
        params[pname].value[index] = value
    out = net.model.forward(net.X)
    loss = net.loss.forward(out, net.y)
    if net.l2:
        reg = cr.L2(net.l2)
        loss += reg.forward(net.model)
    dX = net.model.backward(net.loss.backward())
    if net.l2:
        reg.backward(net.model)
    return {
        "loss": float(loss),
        "grads": {k: p.grad.copy() for k, p in params.items()},
        "dX": dX,
        "out": out.copy(),
        "net": net,
    }
