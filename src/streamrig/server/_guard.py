"""Browsers: provider endpoints open to front ends (CORS), the admin API closed to other sites.

- The Host header must name this server: an IP literal, `localhost`, or a name
  allowed with `serve --allow-host` (`*`: any). A page on another site whose
  name was re-pointed at 127.0.0.1 (DNS rebinding) is refused.
- Admin writes (anything under `/_streamrig/` but GET) from a browser page of
  another origin are refused: a cross-origin `Origin` or `Sec-Fetch-Site`
  header. Tools that send neither (curl, SDKs, tests) are not browsers.
- Provider endpoints answer CORS preflights and carry
  `Access-Control-Allow-Origin: *`, as the real APIs do for front ends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from ._admin import PREFIX

__all__ = ["ALLOWED_HOSTS_KEY", "HostPolicy", "cors_headers", "cross_origin", "guard"]

_MAX_SEEN = 256
_EXPOSED = "request-id, x-request-id, retry-after, retry-after-ms, x-streamrig-scenario"


class HostPolicy:
    """Which Host header names are this server (IP literals and localhost always are)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = {name.lower().strip("[]") for name in names}
        self._seen: dict[str, bool] = {}  # Host header -> answer: clients send a few, often

    def allows(self, host_header: str | None) -> bool:
        if host_header is None or "*" in self.names:
            return True
        known = self._seen.get(host_header)
        if known is None:
            if len(self._seen) >= _MAX_SEEN:
                self._seen.clear()
            known = self._seen[host_header] = self._allows(host_header)
        return known

    def _allows(self, host_header: str) -> bool:
        name = _host_name(host_header)
        if name in ("localhost", "") or name.endswith(".localhost") or name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


ALLOWED_HOSTS_KEY = web.AppKey("streamrig_hosts", HostPolicy)


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_provider_path(path: str) -> bool:
    return path.startswith(("/v1/", "/s/"))


def cors_headers(request: web.BaseRequest) -> dict[str, str]:
    """What a provider endpoint adds for a browser page (nothing for other clients)."""
    if "origin" not in request.headers or not _is_provider_path(request.path):
        return {}
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": _EXPOSED}


def cross_origin(request: web.Request) -> bool:
    """Whether a browser sent this request from a page of another origin."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != (request.host or "").lower()


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Host check, admin writes same-origin only, CORS preflight for provider endpoints."""
    if not request.app[ALLOWED_HOSTS_KEY].allows(request.headers.get("host")):
        return _refuse(
            421,
            "forbidden_host",
            f"Host {request.headers.get('host')!r} is not this server; start it with "
            "`--allow-host NAME` (or `--allow-host '*'`) to serve that name",
        )
    if request.method == "OPTIONS" and _is_provider_path(request.path):
        asked = request.headers.get("access-control-request-headers", "")
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": asked or "*",
                "Access-Control-Max-Age": "600",
            },
        )
    if request.path.startswith(PREFIX + "/") and request.method != "GET" and cross_origin(request):
        return _refuse(
            403,
            "cross_origin",
            f"{request.method} {request.path} from another origin is refused: the admin API "
            "takes writes from the same origin or from tools that are not browsers",
        )
    return await handler(request)


def _refuse(status: int, kind: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"type": kind, "message": message, "problems": [message]}}, status=status
    )
