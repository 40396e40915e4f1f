"""Who gets which notification (SPEC §6)."""

from __future__ import annotations

from cycle.config.settings import Pairing, Settings, StageSpec
from workflows.stages import StageType

Addresses = tuple[str, ...]


def _unique(values: list[str]) -> Addresses:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return tuple(seen)


def _named(name: str, email: str) -> str:
    return f"{name} <{email}>"


def contacts(pairing: Pairing) -> list[str]:
    return [_named(c.name, c.email) for c in pairing.contacts]


def for_kind(
    kind: str, level: int, pairing: Pairing, stage: StageSpec | None, settings: Settings
) -> tuple[Addresses, Addresses]:
    """(to, cc) of a stage notification of ``kind`` and ``level``."""
    k = settings.koordinierungsstelle
    traeger = settings.traeger[pairing.traeger]
    koordination = _named(k.name, k.email)
    leitung = _named(traeger.leitung, traeger.leitung_email)
    stab = _named(k.stabsstellenleitung_name, k.stabsstellenleitung)
    team = contacts(pairing)
    if kind == "erinnerung":
        return _unique(team), ()
    if kind == "eskalation" and level <= 1:
        return _unique([*team, leitung]), (koordination,)
    if kind == "eskalation":
        return (stab,), _unique([koordination, leitung])
    if kind in ("einladung", "terminerinnerung"):
        if stage is not None and stage.type is StageType.GROUP_MEETING:
            return _unique(team), ()
        return _unique([*team, leitung, koordination]), ()
    if kind == "eingangsbestaetigung":
        return _unique(team), (koordination,)
    raise ValueError(f"no recipients rule for {kind}")


def koordinierungsstelle(settings: Settings) -> Addresses:
    k = settings.koordinierungsstelle
    return (_named(k.name, k.email),)
