"""The data map in the database, editable in the admin, and the versions requests ran with.

The rows hold the same document as the YAML format (`requests_app.datamap`), which
validates every change before it is used: `requests_app.fulfilment.datamap_versions` turns the rows into
a `DataMap` and back. A request remembers the exact version of the map its store tasks and
its report used (`DataMapVersion`, by digest), so a later edit never changes what a
finished request says.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.datamap.schema import CATEGORIES, DISCLOSE, ERASURE_ACTIONS, KINDS


class System(models.Model):
    """A data store holding personal data (a database, a Redis, a processor, a manual step)."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=[(k, k) for k in KINDS])
    description = models.TextField()
    connection = models.JSONField(
        default=dict, blank=True, help_text=_("Settings; secrets only as the names of environment variables.")
    )
    identifiers = models.JSONField(
        default=dict, blank=True, help_text=_('{"searched_by": ["email"], "provides": {"user_id": {...}}}')
    )
    depends_on = models.JSONField(default=list, blank=True)
    recipient = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The recipient this system is, as fields name it: erasing or correcting here tells it."),
    )
    owner = models.EmailField(
        max_length=254, blank=True, help_text=_("The email address of the person responsible for this system.")
    )
    transfers = models.JSONField(
        default=list,
        blank=True,
        help_text=_('Transfers to third countries and their safeguards: [{"to": "US", "safeguard": "SCCs"}].'),
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """A table, a family of keys or a processor's collection within a system."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="datasets")
    name = models.SlugField(max_length=64)
    description = models.TextField(blank=True)
    locator = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="dataset_name_unique_in_system")]

    def __str__(self) -> str:
        return f"{self.system.name}.{self.name}"


class Field(models.Model):
    """One piece of personal data, with what the law asks a controller to tell about it."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=64)
    category = models.CharField(max_length=32, choices=[(c, c) for c in CATEGORIES])
    purpose = models.TextField()
    legal_basis = models.TextField()
    recipients = models.JSONField(default=list, blank=True)
    retention = models.TextField()
    source = models.CharField(max_length=200)
    correctable = models.BooleanField(default=False)
    erasure = models.CharField(max_length=16, choices=[(a, a) for a in ERASURE_ACTIONS])
    erasure_reason = models.TextField(blank=True, help_text=_("Required when the field is retained: the legal reason."))
    disclose = models.CharField(
        max_length=8,
        choices=[(d, d) for d in DISCLOSE],
        default="always",
        help_text=_("never: kept out of every copy given to the subject (credentials, security answers)."),
    )
    disclose_reason = models.TextField(blank=True, help_text=_("Required when never disclosed: the reason given."))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="field_name_unique_in_dataset")]

    def __str__(self) -> str:
        return self.name


class DataMapVersion(models.Model):
    """One version of the whole map, as the document it was, named by its SHA-256 digest."""

    digest = models.CharField(max_length=64, unique=True)
    version = models.CharField(max_length=100)
    document = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.version} ({self.digest[:12]})"
