"""The servers' own logger: what a client did wrong is one line, never a traceback.

aiohttp logs malformed HTTP (a bad Content-Length, chunked garbage, huge
headers), undecodable bodies and vanished clients with a full traceback, as
if the server had failed. Those are the client's doing: this logger turns
them into one line at INFO. Anything else (a real server fault) keeps its
traceback.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

__all__ = ["SERVER_LOGGER", "client_fault"]

_CLIENT_FAULTS = (HttpProcessingError, RequestPayloadError, ConnectionError)


def client_fault(error: BaseException | None) -> BaseException | None:
    """The client-caused error in `error`'s chain of causes, if there is one."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _CLIENT_FAULTS):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


class _ClientFaultsInOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        fault = client_fault(error)
        if fault is not None:
            detail = " ".join(str(fault).split())
            record.msg = f"{record.getMessage()}: {type(fault).__name__}: {detail}"
            record.args = ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


SERVER_LOGGER = logging.getLogger("streamrig.server")
SERVER_LOGGER.addFilter(_ClientFaultsInOneLine())
