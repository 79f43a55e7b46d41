"""Per-client rate limits and request size limits, as one pure ASGI middleware in front of
the app (a refused request costs no database work beyond its audit row).

Rate: a token bucket per client (the client of a valid access token, else the caller's address,
so rotating made-up tokens earns nothing), `rate_per_minute` refill, `rate_burst` deep. One
process keeps its buckets in memory; several processes behind a proxy each keep their own (the
proxy should then limit too; docs/lookup-api.md).
Size: a declared Content-Length over the limit is refused before reading; a chunked body is
read up to the limit and refused past it. Over-long URLs are refused too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_URL_CHARS = 2048


class TokenBuckets:
    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed, else the seconds to wait for the next token."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle callers, memory stays bounded
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 120}
            return (1 - tokens) / self.rate


class LimitsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        buckets: TokenBuckets,
        max_body: int,
        caller: Callable[[Scope], tuple[str, object]],
        refuse: Callable[[Scope, int, str, object], Awaitable[Callable]],
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.max_body = max_body
        self.caller = caller  # scope → (bucket key, grant or None)
        self.refuse = refuse  # → an ASGI response (OperationOutcome) after auditing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key, grant = self.caller(scope)
        wait = self.buckets.take(key)
        if wait:
            response = await self.refuse(scope, 429, f"rate limit: retry after {wait:.1f} s", grant)
            await response(scope, receive, send)
            return
        if (
            len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            > MAX_URL_CHARS
        ):
            response = await self.refuse(scope, 414, "request URL too long", grant)
            await response(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body
            except ValueError:
                too_big = True
            if too_big:
                response = await self.refuse(
                    scope, 413, f"request body over {self.max_body} bytes", grant
                )
                await response(scope, receive, send)
                return
        body, more = b"", True
        if scope["method"] in ("POST", "PUT", "PATCH"):
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_body:
                    response = await self.refuse(
                        scope, 413, f"request body over {self.max_body} bytes", grant
                    )
                    await response(scope, receive, send)
                    return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)
