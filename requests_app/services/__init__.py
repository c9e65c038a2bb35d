"""Use cases: each function is one thing a person or the system does to a request (submit,
verify, approve, reject, hand over a bundle, resend lost work), in one transaction.

Views, email intake, management commands and tasks call these; they call the workflow,
verification, fulfilment and notifications below them."""
