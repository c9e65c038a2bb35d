"""``python manage.py datamap import FILE.yaml`` / ``datamap export [--output FILE]`` / ``datamap check FILE``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.datamap import DataMapError, load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.datamap.warnings import secret_field_warnings
from requests_app.fulfilment.datamap_versions import datamap_current, datamap_import
from requests_app.workflow.audit import Actor


class Command(BaseCommand):
    help = "Import, export or check the data map (the YAML format is described in the README)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importer = sub.add_parser("import", help="replace the data map with FILE, after validating all of it")
        importer.add_argument("file")
        exporter = sub.add_parser("export", help="write the data map as YAML")
        exporter.add_argument("--output", "-o", help="file to write (default: standard output)")
        checker = sub.add_parser("check", help="validate FILE without importing it")
        checker.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "export":
                self._export(options.get("output"))
                return
            datamap = load_datamap_file(_existing(options["file"]))
        except DataMapError as error:
            self.stderr.write(str(error))
            sys.exit(1)
        for warning in secret_field_warnings(datamap):
            self.stderr.write(f"Warning: {warning}")
        if options["action"] == "check":
            self.stdout.write(f"OK {len(datamap.systems)} systems, version {datamap.version}, digest {datamap.digest}")
            return
        version = datamap_import(dump_datamap(datamap), actor=Actor.system("datamap-import"))
        self.stdout.write(
            f"Imported {len(datamap.systems)} systems, version {version.version}, digest {version.digest}"
        )

    def _export(self, output: str | None) -> None:
        text = yaml.safe_dump(dump_datamap(datamap_current()), sort_keys=False, allow_unicode=True, width=100)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)


def _existing(path: str) -> str:
    if not Path(path).is_file():
        raise CommandError(f"No such file: {path}")
    return path
