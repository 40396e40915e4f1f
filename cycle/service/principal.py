"""Who acts: a name for the audit log, a role (SPEC §15) and, for a Träger contact, its pairings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    KOORDINIERUNGSSTELLE = "koordinierungsstelle"
    STABSSTELLENLEITUNG = "stabsstellenleitung"
    ABLAGE = "ablage"
    LESEND = "lesend"
    TRAEGER = "traeger"  # a Träger contact, through the portal only
    ANONYM = "anonym"  # not logged in: may only log in or ask for a portal link


ROLE_LABELS = {
    Role.KOORDINIERUNGSSTELLE: "Koordinierungsstelle",
    Role.STABSSTELLENLEITUNG: "Stabsstellenleitung",
    Role.ABLAGE: "Ablage",
    Role.LESEND: "lesend",
    Role.TRAEGER: "Träger-Kontakt",
    Role.ANONYM: "nicht angemeldete Person",
}


@dataclass(frozen=True)
class Principal:
    """``pairings`` is ``None`` for staff (every pairing), the contact's pairings for a Träger
    contact and empty for an anonymous principal (it sees no pairing)."""

    name: str
    role: Role
    pairings: frozenset[str] | None = None
    via: str | None = None  # "Portal" for a Träger contact

    def __post_init__(self) -> None:
        if self.role is Role.TRAEGER and self.pairings is None:
            raise ValueError("a Träger contact is always limited to its pairings")
        if self.role is Role.ANONYM and self.pairings != frozenset():
            raise ValueError("an anonymous principal sees no pairing")

    @property
    def actor(self) -> str:
        """The name the audit log records, e.g. ``b.neumann@awo.example.org via Portal``."""
        return f"{self.name} via {self.via}" if self.via else self.name

    def sees(self, pairing_id: str) -> bool:
        return self.pairings is None or pairing_id in self.pairings

    @classmethod
    def operator(cls, name: str) -> Principal:
        """The CLI's principal: the operator acts as the Koordinierungsstelle (SPEC §15)."""
        return cls(name=name, role=Role.KOORDINIERUNGSSTELLE)

    @classmethod
    def contact(cls, email: str, pairings: frozenset[str]) -> Principal:
        """A Träger contact in the portal: actor ``<email> via Portal``."""
        return cls(name=email, role=Role.TRAEGER, pairings=pairings, via="Portal")

    @classmethod
    def anonymous(cls, via: str) -> Principal:
        """Someone not (yet) logged in, at the login page (``Web``) or the portal (``Portal``)."""
        return cls(name="anonym", role=Role.ANONYM, pairings=frozenset(), via=via)

    @classmethod
    def system(cls) -> Principal:
        """The scheduler's own passes (tick, drain)."""
        return cls(name="zyklus", role=Role.KOORDINIERUNGSSTELLE)
