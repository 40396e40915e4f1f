"""``[audit]`` (SPEC §9) for ``cycle.config.loader``: the log's key variable and anchor file.

Like ``[web] secret_env``, ``key_env`` names an environment variable; the key is never written
into the config (it must not travel with the config or the database backup).
"""

from __future__ import annotations

import re
from pathlib import Path

from cycle.config.schema import Table
from cycle.config.settings import AuditSettings
from cycle.config.values import quote

AUDIT_KEYS = ("key_env", "anchor_file")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_audit(root: Table, base_dir: Path) -> AuditSettings:
    """``[audit]``; absent keys keep the defaults of ``AuditSettings``."""
    table = root.table("audit", AUDIT_KEYS)
    defaults = AuditSettings()
    key_env = table.text("key_env") or defaults.key_env
    if not _ENV_NAME.match(key_env):
        table.problems.add(
            table.at("key_env"),
            f"{quote(key_env)} ist kein Variablenname "
            "(der Schlüssel selbst gehört nicht in die Datei)",
        )
        key_env = defaults.key_env
    anchor = table.text("anchor_file")
    return AuditSettings(key_env=key_env, anchor_file=base_dir / anchor if anchor else None)
