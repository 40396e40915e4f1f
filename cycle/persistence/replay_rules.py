"""What each audit entry does to a stage (SPEC §9): the pure fold behind ``audit_replay``.

The log determines four columns of ``stage_state``: ``status`` (every stage event records
``before → after``), ``due`` (opened with the cycle, moved by ``extend``, ``return`` with a new
date, a take-over and ``fristen_neu_berechnet``), ``done_on`` (the day of ``complete``,
``accept`` and ``file``, the local day of a waiver, cleared by ``korrigieren``, set by
``datum_korrigieren``) and ``facts`` (participants, evidence, every submission with its SHA-256
and the Verwendungsnachweis amounts, who signed off when, why a stage was waived, what a
successor took over). ``NOT_REPLAYED`` lists the facts the log does not carry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cycle.clock import local_date

Key = tuple[str, int, str]
NOT_REPLAYED = frozenset({"veranstaltung"})  # the joint-meeting id of a Bündelung (not logged)
SIGN_OFFS = ("accept", "check", "acknowledge", "file")


@dataclass(frozen=True)
class Replayed:
    status: str
    due: date | None  # None: the log does not say (a cycle opened by an older version)
    done_on: date | None = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    action: str
    at: datetime
    actor: str
    pairing: str | None
    year: int
    stage: str | None
    before: str | None
    after: str | None
    payload: str


# The successor takes a stage over: ``uebernehmen`` (the machine's trigger); logs written before
# the action names equalled the triggers say ``uebernahme``.
HAND_OVER = ("uebernehmen", "uebernahme")


def apply(
    states: dict[Key, Replayed], opened: set[tuple[str, int]], e: Entry, tz: ZoneInfo
) -> None:
    """Apply one entry to ``states`` (and ``opened``); entries that move no stage are ignored."""
    if e.action == "zyklus_eroeffnet" and e.stage is None and e.pairing is not None:
        opened.add((e.pairing, e.year))
        stufen = _payload(e).get("stufen", {})
        for stage_id, due in (stufen if isinstance(stufen, dict) else {}).items():
            states[(e.pairing, e.year, stage_id)] = Replayed("offen", _day(due))
        return
    if e.action == "fristen_neu_berechnet" and e.stage is not None:
        payload = _payload(e)
        for pairing in payload.get("partnerschaften", []):
            key = (pairing, e.year, e.stage)
            if key in states:
                states[key] = replace(states[key], due=_day(payload.get("frist")))
        return
    if e.pairing is None or e.stage is None or e.before is None or e.after is None:
        return
    key = (e.pairing, e.year, e.stage)
    now = states.get(key, Replayed(e.before, None))
    states[key] = _event(replace(now, status=e.after), e, _payload(e), states, tz)


def _event(
    s: Replayed, e: Entry, p: dict[str, Any], states: dict[Key, Replayed], tz: ZoneInfo
) -> Replayed:
    facts = dict(s.facts)
    if e.action == "complete":
        facts.update(
            teilnehmende=p.get("teilnehmende"),
            anzahl_teilnehmende=p.get("anzahl_teilnehmende"),
            notiz=p.get("notiz"),
        )
        if "nachweis" in p:
            facts["nachweis"] = p["nachweis"]
        return replace(s, done_on=_day(p.get("am")), facts=facts)
    if e.action in SIGN_OFFS:
        facts[e.action] = {"am": p.get("am"), "durch": e.actor}
        done = _day(p.get("am")) if e.action in ("accept", "file") else s.done_on
        return replace(s, done_on=done, facts=facts)
    if e.action == "waive":
        if "entfallen_grund" in p:  # ending a pairing: the facts are the payload
            facts.update(p)
        else:
            facts["entfallen_grund"] = p.get("grund")
        return replace(s, done_on=local_date(e.at, tz), facts=facts)
    if e.action == "submit":
        facts["einreichungen"] = int(facts.get("einreichungen", 0)) + 1
        facts["einreichung"] = {k: v for k, v in p.items() if k != "ausserhalb_zeitraum"}
        return replace(s, facts=facts)
    if e.action in ("extend", "return") and p.get("neue_frist"):
        return replace(s, due=_day(p["neue_frist"]))
    if e.action == "korrigieren":
        return replace(s, done_on=None)
    if e.action == "datum_korrigieren" and _is_day(p.get("nachher")):
        return replace(s, done_on=_day(p["nachher"]))
    if e.action in HAND_OVER:
        source = states.get((str(p.get("von")), e.year, e.stage or ""))
        if source is not None:
            facts = {**source.facts, "uebernommen_von": p.get("von")}
            return replace(s, due=source.due, done_on=source.done_on, facts=facts)
    return s


def _payload(e: Entry) -> dict[str, Any]:
    value = json.loads(e.payload)
    return value if isinstance(value, dict) else {}


def _is_day(value: object) -> bool:
    return isinstance(value, str) and len(value) == 10


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if _is_day(value) else None  # type: ignore[arg-type]


def difference(stored: object, expected: object, path: str = "") -> tuple[str, object, object]:
    """The first path where two JSON values differ (``("", …)`` when equal); ``""`` = ``None``."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        for name in sorted(set(stored) | set(expected)):
            if not path and name in NOT_REPLAYED:
                continue
            found = difference(stored.get(name), expected.get(name), f"{path}.{name}")
            if found[0]:
                return found
        return "", None, None
    if (stored if stored != "" else None) != (expected if expected != "" else None):
        return path.lstrip(".") or "facts", stored, expected
    return "", None, None
