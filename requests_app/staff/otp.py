"""The second factor: TOTP devices (an authenticator app) and the QR code that sets one up.

django-otp and qrcode ship no type information, so their imports are confined to this
module (each ``type: ignore[import-untyped]`` below is for that alone).
"""

from __future__ import annotations

import re
from base64 import b32encode
from typing import TYPE_CHECKING, Any

import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from django.db import transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

DEVICE_NAME = "Authenticator app"


def confirmed_device(user: AbstractBaseUser) -> Any | None:
    """The user's working TOTP device, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def device_for_setup(user: AbstractBaseUser) -> Any:
    """The device being set up: the same unconfirmed one on every visit until it is confirmed.

    Reusing it keeps the QR code stable if the page is reloaded while the person scans it.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: Any) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: Any, *, label: str) -> SafeString:
    """The device's otpauth:// address as an inline SVG QR code (paths only, no text)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(
        r'^<svg width="[^"]*" height="[^"]*"',
        f'<svg width="240" height="240" role="img" aria-label="{escape(label)}" class="qr-code"',
        svg,
        count=1,
    )
    return mark_safe(svg)  # noqa: S308 - qrcode's own markup (path geometry), our escaped label


def token_accept(request: HttpRequest, device: Any, token: str) -> bool:
    """Check a token against the device (throttled by django-otp after failures); on success
    mark the device confirmed and this session as verified."""
    token = token.replace(" ", "")
    if not token.isdigit() or not device.verify_token(token):
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True
