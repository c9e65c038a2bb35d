"""Fulfilment: the store tasks a request fans out to, the connectors that run them against each
system of the data map, and the results (bundle, certificate, correction report) they make."""
