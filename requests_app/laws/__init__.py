"""The laws a request answers to: each jurisdiction's response deadline as cited data."""
