"""What the subject receives: an export bundle, a deletion certificate or a correction report."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest, RequestType


class BundleKind(models.TextChoices):
    ACCESS = "access", _("Copy of your data")
    DELETION_CERTIFICATE = "deletion_certificate", _("Certificate of erasure")
    CORRECTION_REPORT = "correction_report", _("Correction report")
    DECISION_RECORD = "decision_record", _("Record of the decision applied")


# What a fulfilled request of each type hands to its subject.
RESULT_KIND = {
    RequestType.ACCESS: BundleKind.ACCESS,
    RequestType.DELETION: BundleKind.DELETION_CERTIFICATE,
    RequestType.CORRECTION: BundleKind.CORRECTION_REPORT,
    RequestType.OPT_OUT: BundleKind.DECISION_RECORD,
    RequestType.LIMIT: BundleKind.DECISION_RECORD,
    RequestType.RESTRICTION: BundleKind.DECISION_RECORD,
    RequestType.OBJECTION: BundleKind.DECISION_RECORD,
}


class Bundle(models.Model):
    """A signed ZIP kept encrypted at rest, downloadable a few times until it expires.

    ``file`` holds the AES-GCM ciphertext; ``sha256`` is of the ZIP itself, so a download
    can be checked against the record. ``downloads`` counts only completed hand-overs,
    claimed with a conditional update so two clicks cannot both take the last one.
    """

    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="bundles")
    kind = models.CharField(max_length=24, choices=BundleKind.choices)
    file = models.FileField(upload_to="bundles/", max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    records = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveSmallIntegerField()
    downloads = models.PositiveSmallIntegerField(default=0)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="bundle_once_per_request_kind")]
        indexes = [models.Index(fields=["purged_at", "expires_at"], name="bundle_purge")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.request_id}"

    @property
    def filename(self) -> str:
        return {
            BundleKind.ACCESS: "your-data",
            BundleKind.DELETION_CERTIFICATE: "erasure-certificate",
            BundleKind.CORRECTION_REPORT: "correction-report",
            BundleKind.DECISION_RECORD: "decision-record",
        }[BundleKind(self.kind)] + ".zip"
