"""Rate-limit counters kept in the database: shared by every process, and there when Redis is not."""

from __future__ import annotations

from django.db import models


class RateLimitCount(models.Model):
    """Attempts in one fixed window for one hashed identity; the row goes once ``expires_at`` passes."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
