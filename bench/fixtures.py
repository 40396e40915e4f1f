"""Generated workspaces for the benchmarks: the shipped config with N synthetic pairings.

The non-master-data sections (database, paths, mail, calendar, stages, policy, …) are copied
verbatim from the repository's ``config.toml``; Träger, Stadtteile and pairings are generated.
Every workspace lives in its own folder (with its own ``var/``), never in the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MASTER_DATA = "[[traeger]]"
HANDLUNGSFELDER = ("Stadtteilmanagement", "Gemeinwesenarbeit")
PAIRINGS_PER_TRAEGER = 25


def shipped_sections(config: Path = ROOT / "config.toml") -> str:
    """Everything of the shipped config before its first ``[[traeger]]`` table."""
    text = config.read_text(encoding="utf-8")
    cut = text.find(MASTER_DATA)
    if cut < 0:
        raise ValueError(f"{config}: no {MASTER_DATA} table found")
    return text[:cut]


def _traeger(t: int) -> str:
    return (
        f'[[traeger]]\nid = "traeger-{t}"\nname = "Träger Nr. {t} e. V."\n'
        f'leitung = "Leitung {t}"\nleitung_email = "leitung@traeger-{t}.example.org"\n'
        f'email = "info@traeger-{t}.example.org"\n\n'
    )


def _stadtteil(s: int) -> str:
    return f'[[stadtteil]]\nid = "stadtteil-{s}"\nname = "Stadtteil Nr. {s}"\n\n'


def _pairing(i: int) -> str:
    stadtteil, feld = divmod(i, len(HANDLUNGSFELDER))
    t = i // PAIRINGS_PER_TRAEGER
    contacts = [
        f'{{ name = "Kontakt {i}", email = "kontakt-{i}@traeger-{t}.example.org", '
        f'rolle = "{HANDLUNGSFELDER[feld]}" }}'
    ]
    tandem = i % 5 == 0
    if tandem:
        contacts.append(
            f'{{ name = "Kontakt {i} (Hansestadt)", email = "tandem-{i}@stadt.example.org", '
            f'rolle = "Hansestadt (Tandem)" }}'
        )
    return (
        f'[[pairing]]\nid = "paar-{i}"\ntraeger = "traeger-{t}"\n'
        f'stadtteil = "stadtteil-{stadtteil}"\nhandlungsfeld = "{HANDLUNGSFELDER[feld]}"\n'
        f"start = 2020-01-01\ntandem = {'true' if tandem else 'false'}\n"
        f"contacts = [{', '.join(contacts)}]\n\n"
    )


def master_data(pairings: int) -> str:
    """TOML for ``pairings`` pairings: two Handlungsfelder per Stadtteil, 25 per Träger."""
    traeger = -(-pairings // PAIRINGS_PER_TRAEGER)
    stadtteile = -(-pairings // len(HANDLUNGSFELDER))
    parts = [_traeger(t) for t in range(traeger)]
    parts += [_stadtteil(s) for s in range(stadtteile)]
    parts += [_pairing(i) for i in range(pairings)]
    return "".join(parts)


def workspace(folder: Path, pairings: int) -> Path:
    """Write ``folder/config.toml`` (+ the guides it names) and return the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "vorlagen", folder / "vorlagen", dirs_exist_ok=True)
    config = folder / "config.toml"
    config.write_text(shipped_sections() + master_data(pairings), encoding="utf-8")
    return config
