"""``python manage.py verify_bundle FILE.zip``: check a bundle's signature and every file in it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.fulfilment import bundle_keys
from requests_app.fulfilment.bundles.keys import BundleKeyError, load_public_key
from requests_app.fulfilment.bundles.verify import verify_bundle

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _configured_public_key() -> Ed25519PublicKey | None:
    """The public key of this installation's signing key (the one published at
    /.well-known/dsar-bundle-signing-key.pem)."""
    return load_public_key(bundle_keys.public_key())


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
            help="the signer's public key (PEM); default: this installation's own",
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
