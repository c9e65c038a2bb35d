"""Emails to requesters and staff: rendered from templates, recorded, sent after commit."""
