"""``python manage.py verify_bundle FILE.zip``: check a bundle's signature and every file in it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.bundles.keys import BundleKeyError, load_public_key, load_signing_key
from requests_app.bundles.verify import verify_bundle


def _configured_public_key() -> Ed25519PublicKey | None:
    """The public key from settings: its own file, else derived from the signing key's file."""
    public_file = getattr(settings, "DSAR_BUNDLE_PUBLIC_KEY_FILE", None)
    if public_file:
        return load_public_key(Path(public_file).read_bytes())
    signing_file = getattr(settings, "DSAR_BUNDLE_SIGNING_KEY_FILE", None)
    if signing_file:
        return load_signing_key(Path(signing_file).read_bytes()).public_key()
    return None


class Command(BaseCommand):
    help = (
        "Verify a bundle ZIP (access export, deletion certificate or correction report): the "
        "signature over manifest.json, then every file's size and SHA-256. Prints "
        "'OK <reference> <n> files' and exits 0, or each problem and exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", help="the bundle ZIP file")
        parser.add_argument(
            "--public-key",
            help="the signer's public key (PEM); default: the one configured in DSAR_BUNDLE_PUBLIC_KEY_FILE",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["public_key"]:
                public_key = load_public_key(Path(options["public_key"]).read_bytes())
            else:
                configured = _configured_public_key()
                if configured is None:
                    raise CommandError("no public key configured: give --public-key FILE.pem", returncode=2)
                public_key = configured
        except (OSError, BundleKeyError) as exc:
            raise CommandError(f"cannot read the public key: {exc}", returncode=2) from exc
        report = verify_bundle(options["bundle"], public_key)
        if report.ok:
            self.stdout.write(f"OK {report.reference} {report.files_checked} files")
            return
        for problem in report.problems:
            self.stderr.write(problem)
        sys.exit(1)
