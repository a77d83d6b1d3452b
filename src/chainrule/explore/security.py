"""The doors of the explore server: only the local address gets in, bodies are bounded and
read as plain JSON, and every refusal is a JSON error the page can show.

- **DNS rebinding.** A page on another site can make the browser resolve its own name to
  127.0.0.1 and then talk to this server; the request then carries that site's name in
  ``Host`` (and in ``Origin``). So ``Host`` must name the local address and the server's port,
  and ``Origin``, when present, must be this very server. ``Sec-Fetch-Site: cross-site`` on
  the API is refused too.
- **Size.** A ``Content-Length`` over :data:`~chainrule.explore.limits.MAX_BODY_BYTES` is
  refused unread; a body without one is read only up to that bound.
- **Parsing.** Bodies are ``json.loads`` with NaN and Infinity refused; nothing is ever
  evaluated. Formulas go to :mod:`chainrule.expr`'s parser.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chainrule.explore.limits import MAX_BODY_BYTES

__all__ = ["LOCAL_HOSTS", "LocalOnly", "RequestError", "error_body", "read_json"]

LOCAL_HOSTS = ("127.0.0.1", "localhost")

#: Headers on every response: no framing, no sniffing, no third-party anything.
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
        b"base-uri 'none'; form-action 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class RequestError(Exception):
    """A request refused with an HTTP ``status`` and a message for the page."""

    def __init__(self, status: int, message: str, kind: str = "RequestError") -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


def error_body(kind: str, message: str, status: int) -> bytes:
    """The JSON of every error: ``{"ok": false, "error", "message", "status"}``."""
    payload = {"ok": False, "error": kind, "message": message, "status": status}
    return json.dumps(payload).encode()


class LocalOnly:
    """ASGI middleware: refuse foreign ``Host``/``Origin`` and oversized bodies, add the
    security headers to every response.

    Parameters
    ----------
    app : ASGI application
    port : int or None
        The port the server listens on; ``Host`` and ``Origin`` must carry it (None: the port
        is not checked, for test clients that send none).
    hosts : iterable of str
        Host names taken as local.
    """

    def __init__(self, app: Any, port: int | None, hosts: Iterable[str] = LOCAL_HOSTS) -> None:
        self.app, self.port, self.hosts = app, port, tuple(hosts)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets: closing the connection unanswered refuses it
        try:
            self._check(scope)
        except RequestError as err:
            await _send_error(send, err)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _check(self, scope: dict) -> None:
        headers: dict[bytes, bytes] = {}
        for key, value in scope.get("headers", []):
            if key in headers and key in (b"host", b"origin", b"content-length"):
                raise RequestError(
                    400, f"the header {key.decode()} is given twice", "ForbiddenHost"
                )
            headers[key] = value
        host = headers.get(b"host", b"").decode("latin-1")
        if not self._local(host):
            raise RequestError(
                403,
                f"refused: the Host header {host[:80]!r} is not this server "
                f"({self._expected()}); explore answers only its local address",
                "ForbiddenHost",
            )
        origin = headers.get(b"origin")
        if origin is not None:
            text = origin.decode("latin-1")
            scheme, sep, rest = text.partition("://")
            if scheme != "http" or not sep or not self._local(rest):
                raise RequestError(
                    403,
                    f"refused: the request comes from the page {text[:80]!r}, not from this "
                    f"server ({self._expected()})",
                    "ForbiddenOrigin",
                )
        site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
        if scope.get("path", "").startswith("/api/") and site == "cross-site":
            raise RequestError(403, "refused: a cross-site request to the API", "ForbiddenOrigin")
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                raise RequestError(400, f"Content-Length {length[:20]!r} is not a number")
            if int(length) > MAX_BODY_BYTES:
                raise RequestError(
                    413,
                    f"the request body has {int(length):,} bytes, at most {MAX_BODY_BYTES:,} "
                    "are accepted",
                    "BodyTooLarge",
                )

    def _local(self, host: str) -> bool:
        name, sep, port = host.rpartition(":")
        if not sep:
            name, port = host, ""
        if name not in self.hosts:
            return False
        if self.port is None:
            return port == "" or port.isdigit()
        return port == str(self.port)

    def _expected(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return " or ".join(f"{h}{port}" for h in self.hosts)


async def _send_error(send: Any, err: RequestError) -> None:
    body = error_body(err.kind, str(err), err.status)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": err.status, "headers": headers + _HEADERS})
    await send({"type": "http.response.body", "body": body})


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


async def read_json(request: Any) -> dict[str, Any]:
    """The request body as a JSON object, read up to :data:`MAX_BODY_BYTES`.

    Raises
    ------
    RequestError
        413 for a longer body, 415 for a body that is not ``application/json``, 400 for text
        that is not a JSON object (NaN and Infinity included).
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise RequestError(
            415, f"expected a JSON body (Content-Type application/json), got {kind!r:.60}"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestError(
                413,
                f"the request body is over {MAX_BODY_BYTES:,} bytes, the most accepted",
                "BodyTooLarge",
            )
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks) or b"{}", parse_constant=_no_constants)
    except (ValueError, RecursionError) as err:
        raise RequestError(
            400, f"the body is not valid JSON: {str(err)[:120]}", "BadJSON"
        ) from None
    if not isinstance(data, dict):
        raise RequestError(400, f"expected a JSON object, got {type(data).__name__}", "BadJSON")
    return data
