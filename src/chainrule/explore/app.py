"""The explore server: a Starlette app with a small JSON API over one :class:`Session`.

Routes (every POST takes and every route returns JSON, except the page and its assets):

=========================  ================================================================
``GET /``                  the page (``static/index.html``); ``/static/...`` its assets
``GET /api/state``         structure, weights, every unit's value and gradient, the loss
``GET /api/options``       zoo networks, losses, optimizers, notations and layouts
``POST /api/example``      ``{"example": r}``: show example ``r`` of the batch
``POST /api/parameter``    ``{"name": "W1", "index": [i, j], "value": v}``: edit a weight
``POST /api/input``        ``{"column": j, "value": v}``: edit an input of the example shown
``POST /api/train``        ``{"steps": N, "optimizer": "adam", "lr": 0.01}``
``POST /api/reset``        the initial weights and inputs back
``POST /api/network``      ``{"model": name}`` or ``{"layers": "3-relu-1", "loss": ...}``
``POST /api/derivation``   ``{"notation", "layout"}``: the stepper's steps with derive's math
``POST /api/export``       ``{"format": "latex" | "markdown", "notation", "layout"}``
``POST /api/scalar``       ``{"formula": "(x+y)*z", "at": {"x": -2, ...}}``: formula mode
=========================  ================================================================

Errors: ``{"ok": false, "error": kind, "message": ..., "status": code}`` with status 400 for a
bad value, 403 for a foreign Host or Origin, 404/405 for an unknown route or method, 413 for
an oversized body, 415 for a body that is not JSON, 500 for a fault of the server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chainrule.errors import ChainruleError
from chainrule.explore.security import LocalOnly, RequestError, error_body, read_json
from chainrule.explore.session import Session

__all__ = ["create_app", "static_dir"]


def static_dir() -> str:
    """The folder of the page's assets inside the installed package."""
    return str(resources.files("chainrule.explore") / "static")


class _JSON(JSONResponse):
    """JSON where a number that is not finite (a diverged loss) becomes ``null``, which the
    page shows as "not finite": JSON itself has no Infinity or NaN."""

    def render(self, content: Any) -> bytes:
        try:
            text = json.dumps(content, allow_nan=False, separators=(",", ":"))
        except ValueError:
            text = json.dumps(_finite(content), allow_nan=False, separators=(",", ":"))
        return text.encode()


def _finite(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _error(kind: str, message: str, status: int) -> Response:
    return Response(error_body(kind, message, status), status, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(
        "HTTPError", f"{exc.detail} ({request.method} {request.url.path})", exc.status_code
    )


def _answer(session: Session, work: Callable[[dict[str, Any]], Any], read_body: bool = True):
    """An endpoint: read the JSON body, run ``work(body)`` under the session's lock in a
    worker thread, answer its dict as JSON; errors become JSON errors."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_json(request) if read_body else {}

            def locked() -> Any:
                with session.lock:
                    return work(body)

            result = await run_in_threadpool(locked)
        except RequestError as err:
            return _error(err.kind, str(err), err.status)
        except ChainruleError as err:
            return _error(type(err).__name__, str(err), 400)
        except Exception as err:  # a fault of ours: say what, never a traceback
            return _error("InternalError", f"{type(err).__name__}: {str(err)[:300]}", 500)
        return _JSON(result)

    return endpoint


def create_app(session: Session, port: int | None = None) -> Starlette:
    """The ASGI app serving ``session``; ``port`` is the one ``Host`` and ``Origin`` must
    carry (None accepts any port, for tests)."""
    from chainrule.explore import api

    handlers = api.handlers(session)
    routes = [
        Route("/", _index, methods=["GET"]),
        Mount("/static", StaticFiles(directory=static_dir()), name="static"),
    ]
    for path, (method, work) in handlers.items():
        routes.append(
            Route(f"/api/{path}", _answer(session, work, method == "POST"), methods=[method])
        )
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return LocalOnly(app, port)  # type: ignore[return-value]


async def _index(request: Request) -> Response:
    return FileResponse(f"{static_dir()}/index.html", media_type="text/html")
