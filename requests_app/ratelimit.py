"""Fixed-window rate limits kept in the cache (Redis in production).

Keys are hashes of what is limited, so the cache never holds an email or IP address.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limited:
    """The limit is reached; ``retry_after`` seconds until the window ends."""

    scope: str
    retry_after: int


def hit(scope: str, identity: str) -> Limited | None:
    """Count one attempt for ``identity`` under the limit named ``scope``.

    Returns None while within the limit, or how long to wait once it is exceeded.
    """
    count, period = settings.DSAR_RATE_LIMITS[scope]
    window = int(time.time()) // period
    digest = hashlib.sha256(f"{scope}:{identity.lower()}".encode()).hexdigest()[:32]
    key = f"rate:{scope}:{digest}:{window}"
    # add() only sets a missing key, so two processes racing here both end up counting.
    cache.add(key, 0, timeout=period + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this attempt opens a new window
        cache.add(key, 1, timeout=period + 5)
        used = 1
    if used <= count:
        return None
    return Limited(scope=scope, retry_after=period - int(time.time()) % period)


def client_ip(request: HttpRequest) -> str:
    """The address of the client, trusting only the configured number of proxies.

    Each trusted proxy appends the address it saw to X-Forwarded-For; anything further left
    was written by the client and cannot be trusted.
    """
    proxies = settings.DSAR_TRUSTED_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))
