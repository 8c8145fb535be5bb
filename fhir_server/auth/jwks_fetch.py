"""Reading a backend client's JWKS URL without becoming an SSRF relay (security.md 5.8, 6 API7).

https only (http only to 127.0.0.1 when a setting allows it, for tests and local tools), no
redirects, short timeouts, a response-size cap, no private or link-local addresses, and a cache
that never outlives the response's Cache-Control (SMART @341).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_BYTES = 64 * 1024
TIMEOUT_S = 5.0
MAX_CACHE_S = 3600
_MAX_AGE = re.compile(r"max-age=(\d+)")


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError("host does not resolve") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _cache_seconds(cache_control: str) -> int:
    directives = cache_control.lower()
    if "no-store" in directives or "no-cache" in directives:
        return 0
    match = _MAX_AGE.search(directives)
    return min(int(match.group(1)), MAX_CACHE_S) if match else 0


class JwksFetcher:
    """Fetches and caches JWK sets by URL."""

    def __init__(self, *, loopback_http: bool = False) -> None:
        self.loopback_http = loopback_http
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname
        if not host or parts.username or parts.password:
            raise ValueError("bad JWKS URL")
        loopback_ok = self.loopback_http and host in ("127.0.0.1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback_ok):
            raise ValueError("JWKS URLs must use https")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for address in _addresses(host, port):
            if address.is_loopback and loopback_ok:
                continue
            if not address.is_global:
                raise ValueError("JWKS URL points to a private address")

    def get(self, url: str, *, refresh: bool = False) -> dict[str, Any]:
        """The JWK set at the URL (cached as its Cache-Control allows). Raises ValueError."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(url)
        if cached and not refresh and cached[0] > now:
            return cached[1]
        self._check_url(url)
        try:
            with (
                httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as http,
                http.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    raise ValueError(f"JWKS URL answered {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise ValueError("JWKS too large")
                cache_control = response.headers.get("cache-control", "")
        except httpx.HTTPError as exc:
            raise ValueError("JWKS URL could not be read") from exc
        try:
            jwks = json.loads(body)
        except ValueError as exc:
            raise ValueError("JWKS is not JSON") from exc
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise ValueError("not a JWK set")
        seconds = _cache_seconds(cache_control)
        with self._lock:
            if seconds:
                self._cache[url] = (now + seconds, jwks)
            else:
                self._cache.pop(url, None)
        return jwks
