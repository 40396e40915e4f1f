"""Plain frozen value objects that the document functions take and return.

Nothing here touches a database or a clock: the integrator builds these from the stored cycle data
and passes them in. Money is ``Decimal`` throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cycle.config.settings import Stadtteil, Traeger, VerwendungsnachweisRules


@dataclass(frozen=True)
class Problem:
    """One violated rule. ``str(problem)`` is the German line ``"field: message"``.

    ``field`` is the TOML key (``verwaltungskosten``), a row field with a 1-based row number
    (``personal[2].stellenanteil``) or a table name (``angebote``).
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --- Verwendungsnachweis (Anlage 3) -----------------------------------------------------------


@dataclass(frozen=True)
class Personalzeile:
    """One row of section 1 (Personalkosten)."""

    name: str
    vorname: str
    qualifikation: str
    verguetungsgruppe: str
    stellenanteil: Decimal
    kosten: Decimal


@dataclass(frozen=True)
class Angebotszeile:
    """One row of the split of section 4 (präventive Angebote der Gemeinwesenarbeit)."""

    bezeichnung: str
    betrag: Decimal


@dataclass(frozen=True)
class Unterschrift:
    name: str
    datum: date


@dataclass(frozen=True)
class Verwendungsnachweis:
    """A parsed proof of funds. Stated totals are kept as stated; the checks live in ``validate``.

    ``kostensumme_angegeben`` and ``differenz_angegeben`` are the optional stated values of the
    Schlussrechnung; ``kostensumme`` and ``differenz`` are computed from sections 1–4.
    """

    jahr: int
    zuschuss: Decimal
    weitere_einnahmen: Decimal
    personalkosten: Decimal
    verwaltungskosten: Decimal
    sachkosten: Decimal
    gemeinwesenarbeit: Decimal
    personal: tuple[Personalzeile, ...]
    angebote: tuple[Angebotszeile, ...]
    unterschrift: Unterschrift
    kostensumme_angegeben: Decimal | None = None
    differenz_angegeben: Decimal | None = None
    erlaeuterung: str = ""

    @property
    def einnahmen(self) -> Decimal:
        """Zuschuss der Hansestadt + weitere Zuschüsse/Einnahmen."""
        return self.zuschuss + self.weitere_einnahmen

    @property
    def kostensumme(self) -> Decimal:
        """Kostensumme = 1 + 2 + 3 + 4 (the stated section totals)."""
        return (
            self.personalkosten + self.verwaltungskosten + self.sachkosten + self.gemeinwesenarbeit
        )

    @property
    def differenz(self) -> Decimal:
        """Differenz = Einnahmen − Kostensumme (positive: money left over)."""
        return self.einnahmen - self.kostensumme

    def aufbewahren_bis(self, rules: VerwendungsnachweisRules | None = None) -> date:
        """The last day the receipts must be kept (31.12. of the year + retention years)."""
        return aufbewahren_bis(self.jahr, rules or VerwendungsnachweisRules())


def aufbewahren_bis(year: int, rules: VerwendungsnachweisRules) -> date:
    """31.12. of ``year`` plus ``rules.aufbewahrung_jahre`` years (2026, 10 → 31.12.2036)."""
    return date(year + rules.aufbewahrung_jahre, 12, 31)


@dataclass(frozen=True)
class Abzeichnung:
    """One recorded step of the sign-off chain: on which day and by whom."""

    datum: date
    von: str


@dataclass(frozen=True)
class Zeichnungsweg:
    """The sign-off chain after submission; ``None`` means the step is still open."""

    rechnerisch_geprueft: Abzeichnung | None = None  # Koordinierungsstelle
    zur_kenntnis_genommen: Abzeichnung | None = None  # Stabsstellenleitung
    abgelegt: Abzeichnung | None = None  # 51.12, "zum Vorgang"


@dataclass(frozen=True)
class VerwendungsnachweisDokument:
    """Everything the filled Anlage 3 form shows."""

    pairing_id: str
    traeger: str
    stadtteil: str
    jahr: int
    nachweis: Verwendungsnachweis
    zeichnungsweg: Zeichnungsweg = field(default_factory=Zeichnungsweg)
    eingereicht_am: date | None = None
    rules: VerwendungsnachweisRules = field(default_factory=VerwendungsnachweisRules)
    empfaenger: tuple[str, ...] = (
        "Hansestadt Lüneburg",
        "Stabsstelle 05",
        "Koordinierungsstelle Stadtteilarbeit",
        "Klosterhof",
        "21335 Lüneburg",
    )
    absender: tuple[str, ...] = ()  # the Träger's name and address lines; () = the name only
    ort: str = ""  # place in "Ort, Datum" (the Träger's Sitz); "" = date only
    kontakt: str = ""  # below the address field: the Koordinierungsstelle's telephone and mail


# --- Jahresbericht (Anlage 1) -----------------------------------------------------------------


@dataclass(frozen=True)
class Termin:
    """A stage of the year as recorded: its name, date (if any) and status (e.g. ``terminiert``)."""

    stufe: str
    datum: date | None
    status: str


@dataclass(frozen=True)
class JahresberichtDaten:
    """What the skeleton is prefilled with."""

    traeger: Traeger
    stadtteil: Stadtteil
    jahr: int
    stadtteilmanager: tuple[str, ...] = ()  # contact names
    termine: tuple[Termin, ...] = ()
    angebot: str | None = None  # e.g. "Stadtteilkoordination"


@dataclass(frozen=True)
class Gap:
    """A section of the outline that a submitted report lacks (``fehlt``) or left ``leer``."""

    nummer: str
    titel: str
    grund: str  # "fehlt" | "leer"

    def __str__(self) -> str:
        return f"{self.nummer} {self.titel}: {self.grund}"


# --- Bündelung (Bielefeld) --------------------------------------------------------------------


@dataclass(frozen=True)
class Dialog:
    """One held dialogue of one pairing.

    Rows with the same non-empty ``veranstaltung`` were one joint event (e.g. a workshop for
    several Träger): they count as one Gespräch, and ``teilnehmende`` is then the event's total
    (the largest value of those rows is used once).
    """

    pairing_id: str
    traeger: str
    stadtteil: str
    angebot: str
    handlungsfeld: str
    stufe: str
    datum: date
    teilnehmende: int
    leitfaden: str | None = None
    veranstaltung: str | None = None


@dataclass(frozen=True)
class BuendelungDaten:
    jahr: int
    dialoge: tuple[Dialog, ...]
    handlungsfeld: str | None = None  # only this Handlungsfeld; None: all
    stunden_pro_person: Decimal = Decimal("3.5")
