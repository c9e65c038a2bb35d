"""Handing recorded events to the parts that tell the outside world: webhooks and DRP agents."""
