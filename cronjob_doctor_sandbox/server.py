"""HTTP/1.1 plumbing of the sandbox API server: sockets, keep-alive, chunked streams, outages, request log.

`ApiServer` owns a ThreadingHTTPServer on 127.0.0.1 (daemon threads) and hands parsed requests to
`handlers.Api`; it knows nothing of Kubernetes semantics. `down()` closes the listener and resets every open
connection; `up()` listens again on the same port. Besides the log of answered requests it keeps, for tests to
wait on, every request as it arrives and the ones still being answered (open watch and log streams).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import orjson

from .handlers import Api, Reply, Request, StreamReply
from .status import ApiError
from .streams import CutStream


class RecordedRequest(NamedTuple):
    """One request as the server saw it; `body` is the parsed JSON of writes, else None."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    body: Any


class OpenRequest(NamedTuple):
    """A request as it arrived, before any answer: what `ApiServer.received` and `ApiServer.open` hold."""

    method: str
    path: str
    query: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: ApiServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client resets and our own connection cuts are normal here; do not print tracebacks."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log; `ApiServer.requests` is the log."""

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        token = owner._arrive(OpenRequest(self.command, parts.path.rstrip("/") or "/", query))
        try:
            self._answer(owner, parts.path, query)
        finally:
            owner._leave(token)

    def _answer(self, owner: ApiServer, path: str, query: dict[str, str]) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        connection = self.connection
        request = Request(self.command, path.rstrip("/") or "/", query, headers, body,
                          alive=lambda: owner.serving and owner._is_open(connection))
        recorded_body: Any = None
        if self.command in ("POST", "PUT", "PATCH", "DELETE") and body:
            try:
                recorded_body = json.loads(body)
            except ValueError:
                recorded_body = body.decode(errors="replace")
        try:
            reply = owner.api.handle(request)
        except ApiError as error:
            reply = Reply(error.code, error.status(), headers=error.headers)
        except Exception as error:  # noqa: BLE001 - a sandbox bug must still answer like a server does
            reply = Reply(500, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": f"Internal error occurred: {error!r}", "reason": "InternalError",
                                "code": 500})
        code = reply.code if isinstance(reply, Reply) else 200
        owner._record(RecordedRequest(self.command, request.path, query, code, recorded_body))
        if isinstance(reply, Reply):
            self._write(reply)
        else:
            self._stream(reply)

    def _write(self, reply: Reply) -> None:
        if isinstance(reply.body, (dict, list)):
            data = orjson.dumps(reply.body)
        elif isinstance(reply.body, bytes):
            data = reply.body
        else:
            data = str(reply.body).encode()
        self.send_response(reply.code)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        if reply.code != 204:
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, reply: StreamReply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()
        try:
            for chunk in reply.chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except CutStream:
            self.close_connection = True
            _reset(self.connection)
        except (OSError, ValueError):
            self.close_connection = True
        finally:
            close = getattr(reply.chunks, "close", None)
            if close is not None:
                close()


def _reset(connection: socket.socket) -> None:
    """Drop a connection at once, mid-stream, as a broken network path or a restarted server would."""
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class ApiServer:
    """The listening socket and its connections; `api` answers the requests."""

    def __init__(self, api: Api, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        """Every answered request, recorded when its answer begins (a stream: when its headers go out)."""
        self.received: list[OpenRequest] = []
        """Every request in the order it arrived, recorded before it is handled."""
        self.serving = False
        self._open: dict[int, OpenRequest] = {}
        self._arrivals = 0
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._httpd = _Server((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self.serving = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sandbox-api-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and reset every open connection (streams end, keep-alive sockets close)."""
        self.serving = False
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            _reset(connection)

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _is_open(self, connection: socket.socket) -> bool:
        with self._lock:
            return connection in self._connections and connection.fileno() != -1

    def _record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    @property
    def open(self) -> list[OpenRequest]:
        """The requests received and not answered to the end yet, oldest first: open watch and log streams, and
        requests still being handled (a followed log of a silent container has not even sent its headers)."""
        with self._lock:
            return [self._open[token] for token in sorted(self._open)]

    def _arrive(self, entry: OpenRequest) -> int:
        with self._lock:
            self._arrivals += 1
            self.received.append(entry)
            self._open[self._arrivals] = entry
            return self._arrivals

    def _leave(self, token: int) -> None:
        with self._lock:
            self._open.pop(token, None)
