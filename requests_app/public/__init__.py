"""Pages for the people who ask: the request form, verification and the status page."""
