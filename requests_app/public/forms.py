"""Public forms. Every field is hostile until checked; errors say what to fix."""

from __future__ import annotations

import warnings
from io import BytesIO
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from requests_app.models import RequestType, VerificationPolicy
from requests_app.public import regions
from requests_app.workflow.references import reference_normalize

if TYPE_CHECKING:
    import datetime

    from django.core.files.uploadedfile import UploadedFile
    from django.utils.functional import _StrOrPromise

MAX_DETAILS = 5000
# "DSR-7KQ2-M9XD" is 13 characters; a few more allow spaces and a pasted "DSR 7KQ2 M9XD ".
APPEAL_REFERENCE_MAX = 20

# What each allowed upload starts with. The declared name and Content-Type are ignored.
_SIGNATURES = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


def _detect_upload(upload: UploadedFile) -> str:
    """Return the file's real extension from its content, or raise ValidationError."""
    if upload.size is None or upload.size > settings.DSAR_MAX_UPLOAD_BYTES:
        limit = settings.DSAR_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise forms.ValidationError(_("The file is larger than %(limit)s MB.") % {"limit": limit}, code="too_large")
    upload.seek(0)
    head = upload.read(16)
    suffix = next((ext for magic, ext in _SIGNATURES.items() if head.startswith(magic)), None)
    if suffix is None:
        raise forms.ValidationError(_("The file must be a PDF, PNG or JPEG document."), code="file_type")
    upload.seek(0)
    if suffix == ".pdf":
        upload.seek(max(0, upload.size - 2048))
        if b"%%EOF" not in upload.read():
            raise forms.ValidationError(_("The PDF file is damaged or incomplete."), code="file_damaged")
    else:
        try:
            # An image whose header claims billions of pixels is a decompression bomb: refused,
            # like a damaged one, before anything decodes it (Pillow warns between 1x and 2x
            # its limit and raises above; both are refusals here).
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(BytesIO(upload.read())) as image:
                    image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise forms.ValidationError(_("The image is too large to check."), code="file_too_many_pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise forms.ValidationError(_("The image file is damaged or incomplete."), code="file_damaged") from None
    upload.seek(0)
    return suffix


class PublicForm(forms.Form):
    """Labels without Django's trailing colon: screen readers read the label as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RegionField(forms.ChoiceField):
    """The select lists the places; a code the form once offered (``CA``, ``US-OTHER``) is still valid."""

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and regions.is_known(value)


# The request types as a sentence names them: "gives no right to …", "you can ask for …".
_TYPE_WORDS: dict[str, _StrOrPromise] = {
    RequestType.ACCESS: _("access"),
    RequestType.CORRECTION: _("correction"),
    RequestType.DELETION: _("deletion"),
    RequestType.OPT_OUT: _("an opt-out of the sale or sharing of your data"),
    RequestType.LIMIT: _("a limit on the use of your sensitive information"),
    RequestType.RESTRICTION: _("restriction of processing"),
    RequestType.OBJECTION: _("objection to processing"),
    RequestType.APPEAL: _("an appeal"),
}


def _type_word(kind: str) -> str:
    return str(_TYPE_WORDS.get(kind, RequestType(kind).label))


def _either(kinds: list[str]) -> str:
    """ "access or correction"; "access, correction or deletion"."""
    words = [_type_word(kind) for kind in kinds]
    if len(words) < 2:
        return "".join(words)
    return str(_("%(some)s or %(last)s") % {"some": ", ".join(words[:-1]), "last": words[-1]})


def policy_needs_fact() -> bool:
    return VerificationPolicy.EMAIL_AND_FACT in settings.DSAR_VERIFY_POLICY.values()


class RequestForm(PublicForm):
    request_type = forms.ChoiceField(
        label=_("What would you like us to do?"),
        choices=RequestType.choices,
        widget=forms.RadioSelect,
        help_text=_("The law where you live decides which of these you can ask for."),
        error_messages={"invalid_choice": _("Choose one of the requests listed.")},
    )
    appeal_of = forms.CharField(
        label=_("Reference of the request you are appealing"),
        required=False,
        # Checked in clean_appeal_of, only for an appeal: for any other request it is ignored.
        widget=forms.TextInput(
            attrs={
                "maxlength": APPEAL_REFERENCE_MAX,
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        ),
        help_text=_(
            "It looks like DSR-7KQ2-M9XD and is in our emails about that request. We look at your appeal "
            "under the law that request was counted under, so where you live now does not change it."
        ),
    )
    portability = forms.BooleanField(
        label=_("Send my data in a machine-readable format, so I can take it to another service"),
        required=False,
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We answer at this address, and for most requests first send a link to confirm that it is yours."),
    )
    region = RegionField(
        label=_("Where do you live?"),
        choices=regions.region_choices,
        help_text=_("Your country, state or province decides which law applies and how long we have to answer."),
        error_messages={"invalid_choice": _("Choose where you live from the list.")},
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=MAX_DETAILS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For a correction: what is wrong, and what it should say. For an appeal: why we should look again."
        ),
    )
    phone = forms.CharField(
        label=_("Phone number on your account"),
        required=False,
        max_length=40,
        help_text=_("Needed for some requests, to check that they come from the account holder."),
    )
    organisation = forms.CharField(label=_("Organisation on your account"), required=False, max_length=200)
    is_agent = forms.BooleanField(
        label=_("I am an authorised agent making this request for someone else"), required=False
    )
    agent_name = forms.CharField(label=_("Agent's full name"), required=False, max_length=200)
    agent_email = forms.EmailField(label=_("Agent's email address"), required=False, max_length=254)
    authorisation = forms.FileField(
        label=_("Signed authorisation"),
        required=False,
        help_text=_("A PDF, PNG or JPEG file of at most 10 MB, signed by the person you act for."),
    )
    declaration = forms.BooleanField(
        label=_(
            "I confirm that the information I have given is true, and that I am the person named "
            "or act with their written permission."
        )
    )
    # A field people never see or fill in: only robots do. Hidden with CSS, not type=hidden,
    # because robots skip hidden inputs.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def __init__(self, *args: Any, today: datetime.date | None = None, gpc: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The day the laws are read on: a law takes effect on a date, and the request is
        # counted under the rule in force the day it arrives.
        self.today = today or timezone.localdate()
        # The browser sent Global Privacy Control (Sec-GPC: 1): a request to opt out of sale
        # and sharing (CCPA regulations §7025; Colorado 4 CCR 904-3 Part 5).
        self.gpc = gpc
        if gpc and not self.is_bound:
            region = str(self.initial.get("region") or "")
            if regions.is_known(region) and RequestType.OPT_OUT in self.types_for(region):
                self.initial.setdefault("request_type", RequestType.OPT_OUT)
        if not policy_needs_fact():
            del self.fields["phone"]
            del self.fields["organisation"]

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))

    @property
    def jurisdiction(self) -> str:
        """The rule the request answers to, once the form is valid."""
        return regions.jurisdiction_for(self.cleaned_data["region"], self.today)

    def types_by_region(self) -> dict[str, list[str]]:
        """The request types each place's law gives, for the script that hides the others."""
        return regions.request_types_by_region(self.today)

    def types_for(self, region: str) -> list[str]:
        return regions.request_types_for(regions.rule_for(region, self.today))

    def clean_appeal_of(self) -> str:
        """The reference an appeal names, in its canonical form; ignored for any other request."""
        text: str = self.cleaned_data.get("appeal_of", "")
        if self.cleaned_data.get("request_type") != RequestType.APPEAL:
            return ""
        if not text.strip():
            raise forms.ValidationError(
                _("Give the reference of the request you are appealing. It is in our emails, like DSR-7KQ2-M9XD."),
                code="required",
            )
        if len(text) > APPEAL_REFERENCE_MAX:
            raise forms.ValidationError(
                _("A request reference is at most %(max)s characters, like DSR-7KQ2-M9XD.")
                % {"max": APPEAL_REFERENCE_MAX},
                code="max_length",
            )
        reference = reference_normalize(text)
        if reference is None:
            raise forms.ValidationError(
                _("That is not a request reference. A reference looks like DSR-7KQ2-M9XD."), code="invalid"
            )
        return reference

    def clean_authorisation(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("authorisation")
        if upload is None:
            return None
        upload.name = f"authorisation{_detect_upload(upload)}"
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("request_type", "")
        # An appeal is counted under the law of the request it appeals (the workflow checks
        # it there), so the place chosen now does not decide whether it can be made.
        if kind and kind != RequestType.APPEAL and data.get("region"):
            self._clean_type_for_region(kind, data["region"])
        if kind == RequestType.CORRECTION and not data.get("details", "").strip():
            self.add_error("details", _("Tell us what is wrong and what it should say."))
        needs_fact = (
            "phone" in self.fields and settings.DSAR_VERIFY_POLICY.get(kind) == VerificationPolicy.EMAIL_AND_FACT
        )
        if needs_fact and not (data.get("phone", "").strip() or data.get("organisation", "").strip()):
            self.add_error("phone", _("For this request, give the phone number or organisation on your account."))
        if data.get("is_agent"):
            self._clean_agent(data)
        return data

    def _clean_type_for_region(self, kind: str, region: str) -> None:
        rule = regions.rule_for(region, self.today)
        offered = regions.request_types_for(rule)
        if kind in offered:
            return
        # An appeal is named where it applies (the reference field), not as another choice.
        offered = [t for t in offered if t != RequestType.APPEAL]
        law = capfirst(regions.law_phrase(region, rule))
        if offered:
            message = _("%(law)s gives no right to %(kind)s; you can ask for %(offered)s.") % {
                "law": law,
                "kind": _type_word(kind),
                "offered": _either(offered),
            }
        else:
            message = _("%(law)s gives no right to %(kind)s.") % {"law": law, "kind": _type_word(kind)}
        self.add_error("request_type", forms.ValidationError(message, code="not_given_by_law"))

    def _clean_agent(self, data: dict[str, Any]) -> None:
        if not data.get("agent_name", "").strip():
            self.add_error("agent_name", _("Give your name as the agent."))
        if not data.get("agent_email"):
            self.add_error("agent_email", _("Give your email address as the agent."))
        elif data.get("email") and data["agent_email"].lower() == data["email"].lower():
            self.add_error(
                "agent_email", _("The agent's address must differ from the address of the person you act for.")
            )
        if not data.get("authorisation") and "authorisation" not in self.errors:
            self.add_error("authorisation", _("Upload the signed authorisation."))

    def identifiers(self) -> dict[str, str]:
        found = {key: self.cleaned_data.get(key, "").strip() for key in ("phone", "organisation")}
        return {key: value for key, value in found.items() if value}


class VerifyCodeForm(PublicForm):
    reference = forms.CharField(
        label=_("Request reference"), max_length=40, help_text=_("It looks like DSR-7KQ2-M9XD and is in our email.")
    )
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Eight digits, from the same email."))


class ResendForm(PublicForm):
    reference = forms.CharField(label=_("Request reference"), max_length=40)
    email = forms.EmailField(label=_("Email address"), max_length=254)
