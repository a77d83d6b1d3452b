"""Serving the app with uvicorn on 127.0.0.1 only: in the foreground for the command, or in a
background thread for tests and benchmarks.

The socket is bound here, before uvicorn starts, so the port is known (``--port 0`` picks a
free one) and the app checks ``Host`` and ``Origin`` against that exact port.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from chainrule.errors import ConfigError

__all__ = ["HOST", "Running", "address", "bind", "serve", "start"]

HOST = "127.0.0.1"


def bind(port: int) -> socket.socket:
    """A listening TCP socket on ``127.0.0.1:port`` (0: any free port)."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: expected 0 (any free port) to 65535")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise ConfigError(
            f"cannot listen on {HOST}:{port}: {err.strerror}; hint: another --port, or 0 for any"
        ) from None
    sock.listen(64)
    return sock


def address(sock: socket.socket) -> str:
    """The page's address on a socket from :func:`bind`: ``http://127.0.0.1:PORT/``."""
    return f"http://{HOST}:{sock.getsockname()[1]}/"


def _server(session: Any, sock: socket.socket) -> Any:
    import uvicorn

    from chainrule.explore.app import create_app

    app = create_app(session, port=sock.getsockname()[1])
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", ws="none", timeout_keep_alive=5
    )
    return uvicorn.Server(config)


def serve(session: Any, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C), in this thread."""
    _server(session, sock).run(sockets=[sock])


class Running:
    """A server in a background thread; ``url`` is its address, :meth:`stop` ends it."""

    def __init__(self, session: Any, port: int = 0) -> None:
        self.sock = bind(port)
        self.port = self.sock.getsockname()[1]
        self.url = address(self.sock)
        self.server = _server(session, self.sock)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            self.stop()
            raise RuntimeError("the explore server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(session: Any, port: int = 0) -> Running:
    """Start serving ``session`` in a background thread; see :class:`Running`."""
    return Running(session, port)
