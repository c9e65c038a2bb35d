"""The data map kept in the database: import, export, versions, and the command."""

from __future__ import annotations

from io import StringIO
from typing import TYPE_CHECKING

import pytest
import yaml
from django.core.management import call_command

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import DataMapError, load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_current, datamap_import, datamap_snapshot
from requests_app.models import AuditEvent, DataMapVersion, Field, System
from requests_app.workflow.audit import Actor

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db

STAFF = Actor.system("tests")


def test_an_imported_map_comes_back_the_same_with_the_same_digest() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    version = datamap_import(dump_datamap(datamap), actor=STAFF)
    assert version.digest == datamap.digest
    assert datamap_current() == datamap
    assert datamap_snapshot().pk == version.pk
    assert AuditEvent.objects.filter(action="datamap.imported", data__digest=datamap.digest).exists()


def test_an_edit_in_the_database_makes_a_new_version_and_keeps_the_old_one() -> None:
    first = datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=STAFF)
    Field.objects.filter(name="phone").update(purpose="To call you back.")
    second = datamap_snapshot()
    assert second.digest != first.digest
    assert DataMapVersion.objects.count() == 2


def test_a_broken_map_is_refused_whole_and_the_old_one_stays(tmp_path: Path) -> None:
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=STAFF)
    broken = dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH))
    broken["systems"][0]["datasets"][0]["fields"][0]["category"] = ""
    with pytest.raises(DataMapError, match="category"):
        datamap_import(broken, actor=STAFF)
    assert System.objects.count() == len(broken["systems"])


def test_the_command_imports_exports_and_checks(tmp_path: Path) -> None:
    out = StringIO()
    call_command("datamap", "import", str(DEMO_DATAMAP_PATH), stdout=out)
    assert out.getvalue().startswith("Imported 7 systems")
    exported = tmp_path / "map.yaml"
    call_command("datamap", "export", "--output", str(exported))
    assert yaml.safe_load(exported.read_text()) == dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH))
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\nsystems: [{name: a, kind: ftp}]\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("datamap", "check", str(bad), stderr=StringIO())
    assert exit_.value.code == 1
