"""The email corpus the intake tests read: real-shaped messages under tests/fixtures/email/.

The one message too large to commit (a request with a ~20 MB attachment) is built here, the
same bytes every time.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "fixtures" / "email"
LARGE_ATTACHMENT_NAME = "bank-statements-2025.zip"


def corpus_message(name: str) -> bytes:
    """The raw bytes of tests/fixtures/email/<name>."""
    return (CORPUS / name).read_bytes()


def large_attachment_payload(size_bytes: int) -> bytes:
    """`size_bytes` of deterministic, incompressible-looking bytes (a SHA-256 counter stream)."""
    blocks = (hashlib.sha256(counter.to_bytes(8, "big")).digest() for counter in range(size_bytes // 32 + 1))
    return b"".join(blocks)[:size_bytes]


def make_large_message(size_bytes: int = 20 * 1024 * 1024) -> bytes:
    """An access request with one base64 attachment of `size_bytes` bytes, CRLF line endings."""
    encoded = base64.encodebytes(large_attachment_payload(size_bytes)).replace(b"\n", b"\r\n")
    head = (
        "From: Oliver Large <oliver.large@example.org>\r\n"
        "To: privacy@example.com\r\n"
        "Subject: PRIVACY POLICY request with my documents\r\n"
        "Date: Tue, 10 Feb 2026 09:00:00 +0000\r\n"
        "Message-ID: <large.20260210@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="large-boundary-1"\r\n'
        "\r\n"
        "--large-boundary-1\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "\r\n"
        "Please send me a copy of my personal data. My statements are attached.\r\n"
        "\r\n"
        "--large-boundary-1\r\n"
        "Content-Type: application/zip\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{LARGE_ATTACHMENT_NAME}"\r\n'
        "\r\n"
    ).encode("ascii")
    return head + encoded + b"\r\n--large-boundary-1--\r\n"
