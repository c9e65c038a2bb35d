"""The request workflow: its states and the one writer of them (transitions), the tamper-evident
audit trail every change is recorded on, public references, and the progress shown in words."""
