"""Plumbing every layer may use: the Celery hand-off after commit, rate limits, the health
check and template context."""
