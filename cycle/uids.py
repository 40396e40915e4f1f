"""Stable iCalendar UIDs shared by invitations and the calendar export."""

from __future__ import annotations

from datetime import timedelta

from cycle.config.settings import Settings, StageSpec
from notifications.message import parse_address
from workflows.stages import StageType

MEETING_LENGTH = timedelta(hours=2)


def domain(settings: Settings) -> str:
    return parse_address(settings.mail.sender).addr_spec.rsplit("@", 1)[-1]


def deadline_uid(settings: Settings, pairing: str, year: int, stage: StageSpec) -> str:
    return f"{pairing}-{year}-{stage.id}-frist@{domain(settings)}"


def meeting_uid(settings: Settings, pairing: str, year: int, stage: StageSpec) -> str:
    """One UID per group meeting (the Fachtag is one event for all), else one per cycle."""
    if stage.type is StageType.GROUP_MEETING:
        return f"{stage.id}-{year}@{domain(settings)}"
    return f"{pairing}-{year}-{stage.id}@{domain(settings)}"
