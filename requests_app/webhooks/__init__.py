"""Outbound webhooks: subscriptions, and deliveries signed in the manner of Standard Webhooks.

``subscriptions`` holds the services the staff UI and the API call (create, update, rotate
the secret, delete); ``deliveries`` turns a recorded event into one delivery per subscription
that wants it and sends each, retried with backoff, over ``infra.outbound_http``;
``signing`` is the pure signature scheme and ``sealing`` keeps secrets encrypted at rest.
"""
