"""uvicorn's WebSocket protocol with a clear answer to a text frame that is not UTF-8.

RFC 6455 requires closing such a connection with 1007. uvicorn does so without a reason and
logs a traceback; here the close frame says what was wrong and the log gets one line.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

INVALID_FRAME_PAYLOAD = 1007
INVALID_UTF8_REASON = "text frames must be UTF-8 JSON; this one is not valid UTF-8"

logger = logging.getLogger(__name__)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                logger.warning("closed a WebSocket that sent a text frame which is not UTF-8")
                self.conn.send_close(INVALID_FRAME_PAYLOAD, INVALID_UTF8_REASON)
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()
