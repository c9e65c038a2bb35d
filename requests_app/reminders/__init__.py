"""Reminders and alerts: what the privacy team and the subjects are told before it is too late.

One scan (``scan.reminders_send``, run by beat every quarter of an hour) finds every occasion
that is due and sends each once: the unique ``Reminder`` row inserted with the email, in one
transaction, is what decides "once" (see ``delivery``).
"""
