"""The Data Rights Protocol (DRP v0.9.4), this product acting as the covered business.

messages.py (signed messages, pure), status.py (the status object), services.py (key set-up,
exercise, status, revoke, agent registration), callbacks.py (status callbacks to agents),
views.py and urls.py (the /drp/v1/ endpoints).
"""
