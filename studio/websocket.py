"""The websocket protocol the studio is served with: uvicorn's, giving memory back.

uvicorn's sans-I/O websocket protocol keeps a `websockets` connection per socket, and
that connection parses with a generator that holds the connection itself: a reference
cycle. So a closed socket, its compression buffers included (tens of KiB of zlib state
each), stayed in memory until the garbage collector's next full pass; with a team
opening and closing project pages, hundreds of them piled up between passes and left the
heap fragmented. Ending the parser when the socket is gone breaks the cycle: reference
counting frees it all at once.

Serve with `uvicorn --ws studio.websocket:WebSocketProtocol`, as `make run` does
(`UVICORN_WS` below, for servers started from Python).
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

UVICORN_WS = "studio.websocket:WebSocketProtocol"


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.conn.parser.close()
