"""Fixed-window rate limits: in Redis when the cache is Redis, else (or while Redis is down) in the database.

Keys are hashes of what is limited, so neither store ever holds an email or IP address. A
limit must hold across every web process, so a cache kept in each process's memory is not
used: the quick start counts in the database. When Redis fails, the form does not: counting
moves to the database for that attempt, and the person gets their answer, never a 500.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from requests_app.models import RateLimitCount

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


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
    now = time.time()
    window = int(now) // period
    digest = hashlib.sha256(f"{scope}:{identity.lower()}".encode()).hexdigest()[:32]
    key = f"rate:{scope}:{digest}:{window}"
    expires = (window + 1) * period
    used = _count_in_cache(key, period) if _cache_is_shared() else None
    if used is None:
        used = _count_in_database(key, expires)
    if used <= count:
        return None
    return Limited(scope=scope, retry_after=max(1, expires - int(now)))


def _cache_is_shared() -> bool:
    return "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()


def _count_in_cache(key: str, period: int) -> int | None:
    """The attempt's number in the cache, or None when the cache cannot be reached."""
    try:
        # add() only sets a missing key, so two processes racing here both end up counting.
        cache.add(key, 0, timeout=period + 5)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr: this attempt opens a new window
            cache.add(key, 1, timeout=period + 5)
            return 1
    except (RedisError, OSError) as error:
        logger.warning("rate limits: the cache is unavailable (%s); counting in the database", type(error).__name__)
        return None


def _count_in_database(key: str, expires: int) -> int:
    """Count in one row per key and window; the unique key decides between racing processes."""
    expires_at = datetime.fromtimestamp(expires + 5, tz=UTC)
    with transaction.atomic():
        if not RateLimitCount.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateLimitCount.objects.create(key=key, count=1, expires_at=expires_at)
                return 1
            except IntegrityError:
                RateLimitCount.objects.filter(key=key).update(count=F("count") + 1)
        return int(RateLimitCount.objects.filter(key=key).values_list("count", flat=True).get())


def counters_purge() -> int:
    """Delete the database counters of windows that have ended."""
    deleted, _ = RateLimitCount.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def client_ip(request: HttpRequest) -> str:
    """The address of the client, trusting only the configured number of proxies.

    Each trusted proxy appends the address it saw to X-Forwarded-For; anything further left
    was written by the client and cannot be trusted.
    """
    proxies = settings.DSAR_TRUSTED_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return str(hops[-proxies])
    return str(request.META.get("REMOTE_ADDR", ""))
