"""``[portal]`` (SPEC §14) for ``cycle.config.loader``: how long a Träger contact's link lasts."""

from __future__ import annotations

from cycle.config.schema import Table
from cycle.config.settings import PortalSettings

PORTAL_KEYS = ("link_days",)


def read_portal(root: Table) -> PortalSettings:
    """``[portal]``; absent keys keep the defaults of ``PortalSettings``."""
    table = root.table("portal", PORTAL_KEYS)
    defaults = PortalSettings()
    return PortalSettings(
        link_days=table.integer("link_days", defaults.link_days, minimum=1, maximum=90),
    )
