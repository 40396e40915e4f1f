"""Addresses for the roles of ``workflows.recipients`` (the table of SPEC §6 lives there)."""

from __future__ import annotations

from cycle.config.settings import Pairing, Settings, StageSpec
from notifications.message import split_address
from workflows.recipients import PER_PERSON, ZUSTELLFEHLER, Role, copies_for, recipients_for

Addresses = tuple[str, ...]


def _named(name: str, email: str) -> str:
    return f"{name} <{email}>"


def _addresses(role: Role, settings: Settings, pairing: Pairing | None) -> list[str]:
    k = settings.koordinierungsstelle
    if role is Role.KOORDINIERUNGSSTELLE:
        return [_named(k.name, k.email)]
    if role is Role.STABSSTELLENLEITUNG:
        return [_named(k.stabsstellenleitung_name, k.stabsstellenleitung)]
    if role is Role.ABLAGE:  # without a filing unit in the config, the Koordinierungsstelle files
        return [k.ablage] if k.ablage else [_named(k.name, k.email)]
    if pairing is None:
        raise ValueError(f"the role {role} needs a pairing")
    if role is Role.KONTAKTE:
        return [_named(c.name, c.email) for c in pairing.contacts]
    traeger = settings.traeger[pairing.traeger]
    return [_named(traeger.leitung, traeger.leitung_email)]


def copies(
    kind: str, level: int, pairing: Pairing | None, stage: StageSpec | None, settings: Settings
) -> list[tuple[str, Addresses]]:
    """(role, to) of each extra copy of a notification (``workflows.recipients.COPIES``)."""
    rules = copies_for(kind, level, stage.type if stage is not None else None)
    return [
        (
            str(rule.addressed),
            tuple(dict.fromkeys(a for r in rule.to for a in _addresses(r, settings, pairing))),
        )
        for rule in rules
    ]


def for_kind(
    kind: str, level: int, pairing: Pairing | None, stage: StageSpec | None, settings: Settings
) -> tuple[Addresses, Addresses]:
    """(to, cc) of a notification of ``kind`` and ``level``, each without repeated addresses."""
    rule = recipients_for(kind, level, stage.type if stage is not None else None)

    def resolve(roles: tuple[Role, ...]) -> Addresses:
        found = (a for role in roles for a in _addresses(role, settings, pairing))
        return tuple(dict.fromkeys(found))

    return resolve(rule.to), resolve(rule.cc)


def per_person(kind: str, to: Addresses) -> list[Addresses]:
    """The ``to`` of each message of a notification: one per person for the kinds of
    ``PER_PERSON``, else all together."""
    if kind in PER_PERSON and len(to) > 1:
        return [(address,) for address in to]
    return [to]


def person_key(address: str) -> str:
    """The part of a notification key that names one recipient (``an-name@example.org``)."""
    return "an-" + split_address(address)[1].lower()


def koordinierungsstelle(settings: Settings) -> Addresses:
    """Recipients of the failure notice (``zustellfehler``): the Koordinierungsstelle."""
    return for_kind(ZUSTELLFEHLER, 0, None, None, settings)[0]
