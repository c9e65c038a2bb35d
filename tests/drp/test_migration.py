"""Migration 0017 gives the Privacy admin role the DRP agent permissions, and only that role."""

from __future__ import annotations

from typing import Any

import pytest

APP = "requests_app"


@pytest.mark.integration
def test_the_drp_migration_lets_privacy_admins_alone_register_agents(migrator_factory: Any) -> None:
    migrator = migrator_factory()
    try:
        old = migrator.apply_initial_migration((APP, "0016_api_keys"))
        Group = old.apps.get_model("auth", "Group")
        for name in ("Privacy admin", "Privacy analyst", "Auditor"):
            Group.objects.get_or_create(name=name)
        new = migrator.apply_tested_migration((APP, "0017_drp"))
        Group = new.apps.get_model("auth", "Group")

        def codenames(name: str) -> set[str]:
            return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

        assert {"add_drpagent", "change_drpagent", "view_drpcallback"} <= codenames("Privacy admin")
        assert not {c for c in codenames("Privacy analyst") | codenames("Auditor") if "drp" in c and "view" not in c}
    finally:
        migrator.reset()
