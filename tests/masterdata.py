"""For tests: make the master data of a config file the database's, through the bus.

Since SPEC §16 ``zyklus init`` imports the config's master data only into an empty database;
a test that edits ``config.toml`` afterwards applies the edit as the Stammdaten page does: an
``ApplyMasterData`` command with the file's master data as the desired state.
"""

from __future__ import annotations

from pathlib import Path

from cycle.bootstrap import bootstrap
from cycle.service import commands as c
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal


def apply_config(config: Path, now: str, by: str = "test") -> Outcome:
    """Apply the master data of ``config`` at ``now`` as ``by`` (role koordinierungsstelle)."""
    app = bootstrap(str(config), now, {})
    try:
        desired = app.settings.master
        app.refresh_master_data()
        return app.bus.handle(c.ApplyMasterData(desired), Principal.operator(by))
    finally:
        app.close()
