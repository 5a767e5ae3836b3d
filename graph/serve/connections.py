"""The HTTP/1.1 server's limits: uvicorn's options, and what uvicorn lacks, added to its
httptools protocol.

Why by hand: uvicorn (checked on 0.55 with httptools 0.9) has no timeout while a request is
arriving. ``timeout_keep_alive`` runs only between requests and every byte received cancels it,
so a client that sends its header fields one byte every few seconds holds a connection for ever
(slowloris; ``--timeout-request-start`` in uvicorn issue #157 was never built). Its httptools
protocol has no limit on the size of the header fields (uvicorn's ``h11_max_incomplete_event_size``
only applies to the slower h11 parser, and answers a bare 400), and httptools cannot parse a URL
over 65,535 bytes (16-bit offsets), which uvicorn answered with a bare 400. No ASGI middleware can
help: it runs only once the head has been parsed. So ``LimitedProtocol``, a subclass of uvicorn's
``HttpToolsProtocol`` using only its parser callbacks:

- gives each request ``request_timeout_s`` from its first byte (or from the connection being
  opened) to its last byte of body. If its head is still incomplete the server answers 408 and
  closes; if only its body is late, the connection is closed and the application logs 499. A
  connection that sent nothing is closed silently (browsers open spare connections);
- answers 413 when the request target is over ``max_url_bytes`` and 431 when the header fields are
  over ``max_header_bytes``, counted as they arrive (one endless header line is refused after at
  most one read of 256 KB more), then closes that connection (after reading and dropping what
  the client still sends for a second, so that the answer reaches it); others are still served;
- writes one access-log line for each of these, never a traceback.

A public server should still sit behind a reverse proxy that bounds connections per client:
these limits bound what one connection can hold, not how many connections one client opens.
"""
from __future__ import annotations

import asyncio
import time
from http import HTTPStatus
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graph.serve.access_log import log_request
from graph.serve.context import ServeSettings

KEEP_ALIVE_S = 5  # uvicorn's default: an idle connection between requests is closed after it
LINGER_S = 1.0  # after a refusal, what the client still sends is read and dropped this long, then the
# connection is closed: closing at once, with its data unread, would reset the connection and the
# client could lose the answer before reading it


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; the status and message are on the protocol."""


class _HeadWithBody:
    """A connection's transport that writes a response's head and its first body part in one
    ``send``: uvicorn writes them apart, and on a loopback connection under load each ``send``
    cost about 140 µs of the server's CPU (profiled: 40 % of a cached answer's cost)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head = b""
        self.holding = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.holding:
            self._head += data
            return
        if self._head:
            data, self._head = self._head + data, b""
        self._transport.write(data)

    def _flush(self) -> None:
        if self._head:
            head, self._head = self._head, b""
            self._transport.write(head)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline per request and limits on the request head."""

    settings: ClassVar[ServeSettings]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True  # the current request's head (line and header fields) is incomplete
        self._head_bytes = self._url_bytes = self._header_bytes = 0
        self._pending: tuple[int, str] | None = None  # a refusal decided in a parser callback
        self._refused = False
        self._began = time.perf_counter()

    # ---------------------------------------------------------------- the deadline
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = self._header_bytes = 0
        self._began = time.perf_counter()
        self._arm()

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()
        cycle: Any = self.cycle  # None after an upgrade request
        if cycle is not None and not isinstance(cycle.transport, _HeadWithBody):
            transport = _HeadWithBody(cycle.transport)
            cycle.transport, send = transport, cycle.send

            async def send_head_with_body(message: Any) -> None:
                """uvicorn writes the head at ``http.response.start``: it is held for the first body part."""
                if message["type"] != "http.response.start":
                    await send(message)
                    return
                transport.holding = True
                try:
                    await send(message)
                finally:
                    transport.holding = False

            cycle.send = send_head_with_body  # read when the ASGI task starts

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        super().on_message_complete()

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.settings.request_timeout_s, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self._in_head and self._head_bytes:
            self._refuse(408, f"the request line and header fields did not arrive within "
                              f"{self.settings.request_timeout_s:g} s; send the whole request at once")
        elif not self.transport.is_closing():
            self.transport.close()  # nothing sent, or a late body: the application logs that request

    # ---------------------------------------------------------------- the limits
    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.settings.max_url_bytes:
            self._pending = (413, f"the request URL is over {self.settings.max_url_bytes:,} bytes; "
                                  f"send a long query with POST (form-encoded or application/sparql-query)")
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.settings.max_header_bytes:
            raise self._too_large_headers()
        super().on_header(name, value)

    def _too_large_headers(self) -> _Refused:
        self._pending = (431, f"the request header fields are over {self.settings.max_header_bytes:,} bytes; "
                              f"send fewer or shorter header fields")
        return _Refused()

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with our refusals in place of its bare 400."""
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            self._refuse(*(self._pending or (400, "the request is not valid HTTP/1.1")))
            return
        if self._in_head and self._head_bytes > self.settings.max_url_bytes + self.settings.max_header_bytes:
            self._too_large_headers()
            assert self._pending is not None
            self._refuse(*self._pending)

    def _refuse(self, status: int, message: str) -> None:
        """Answer with a status and a sentence, close the connection, log one line."""
        self._refused = True
        self._disarm()
        if self.transport.is_closing():
            return
        body = (message + "\n").encode()
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: text/plain; charset=utf-8\r\n", b"content-length: %d\r\n" % len(body),
                 b"access-control-allow-origin: *\r\n", b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()
        log_request(self.client[0] if self.client else None, None, None, None, "", status, None, self._began)


def protocol_for(settings: ServeSettings) -> type[LimitedProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to these settings."""
    if not 0 < settings.max_url_bytes <= 65_535:
        raise ValueError("max_url_bytes must be between 1 and 65,535: httptools cannot parse a longer URL")
    return type("LimitedProtocol", (LimitedProtocol,), {"settings": settings})


def uvicorn_options(settings: ServeSettings) -> dict[str, Any]:
    """uvicorn.Config options for ``alliances serve`` (and for the tests' servers), beyond host and port.

    - ``proxy_headers`` off: uvicorn trusts X-Forwarded-For/-Proto from 127.0.0.1 by default, and a
      page on this machine (or any local program) could then pose as another client;
    - ``ws`` none: the application has no WebSocket route;
    - no ``limit_concurrency``: it counts idle keep-alive connections too, so a few slow clients
      would turn every request into a 503; the deadline above frees their connections instead.
    """
    return {"http": protocol_for(settings), "ws": "none", "timeout_keep_alive": KEEP_ALIVE_S,
            "proxy_headers": False, "server_header": False, "access_log": False, "log_level": "warning",
            "timeout_graceful_shutdown": 5}
