"""The systemd units in docs/systemd (SPEC §19): hardened, secrets from an EnvironmentFile, and
accepted by ``systemd-analyze verify`` (Debian's ``systemd`` package; ``.ci/run`` installs it).
The shipped paths (/opt/zyklus, /etc/zyklus) are replaced by real ones for the check, since
``verify`` also checks that the command exists.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNITS = sorted((ROOT / "docs" / "systemd").glob("*.service"))
ZYKLUS = Path(sys.executable).parent / "zyklus"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ReadWritePaths": "/opt/zyklus/var",
    "EnvironmentFile": "/etc/zyklus/zyklus.env",
}


def service_section(unit: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text(encoding="utf-8"))
    return dict(parser["Service"])


def test_there_is_a_unit_for_the_web_and_one_for_the_service() -> None:
    assert [u.name for u in UNITS] == ["zyklus-run.service", "zyklus-web.service"]
    commands = {u.name: service_section(u)["ExecStart"] for u in UNITS}
    assert commands["zyklus-run.service"].endswith("zyklus run")
    assert " web" in commands["zyklus-web.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_is_hardened_and_takes_its_secrets_from_an_environment_file(unit: Path) -> None:
    service = service_section(unit)
    assert {key: service.get(key) for key in HARDENING} == HARDENING
    text = unit.read_text(encoding="utf-8")
    assert "SECRET=" not in text and "PASSWORD=" not in text and "KEY=" not in text


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_analyze_verify_accepts_the_unit_without_a_warning(
    unit: Path, tmp_path: Path
) -> None:
    # A required tool like chromium and pdftoppm (.ci/run installs it with apt): never skipped.
    assert shutil.which("systemd-analyze"), "systemd-analyze fehlt: apt-get install systemd"
    environment = tmp_path / "zyklus.env"
    environment.write_text("ZYKLUS_WEB_SECRET=nur-fuer-den-test-0123456789\n")
    text = unit.read_text(encoding="utf-8")
    text = text.replace("/opt/zyklus/.venv/bin/zyklus", str(ZYKLUS))
    text = text.replace("/etc/zyklus/zyklus.env", str(environment))
    checked = tmp_path / unit.name
    checked.write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(checked)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert unit.name not in done.stdout + done.stderr, done.stderr  # no ignored key, no typo
