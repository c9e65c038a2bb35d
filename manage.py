#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")
    from django.core.management import execute_from_command_line

    from dsar.env import SettingsProblems

    try:
        execute_from_command_line(sys.argv)
    except SettingsProblems as problems:
        # Every problem of the configuration, one line each, and no traceback: the variable's
        # name says what to fix.
        sys.stderr.write(f"{problems}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
