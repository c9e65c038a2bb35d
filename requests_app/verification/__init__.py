"""Proof of who is asking: email challenges (signed links and codes) and the fraud signals
recorded for the privacy team."""
