"""The figures of a scenario, the delivery properties every scenario checks, and the table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from cycle.persistence.tables import OutboxMessage
from soak.support import check


@dataclass
class Figures:
    scenario: str
    database: str
    messages: int = 0  # rows in the outbox at the end
    kills: int = 0
    copies: int = 0  # messages the sink received
    max_copies: int = 0  # most copies of one Message-ID
    attempts: int = 0  # sum of ``attempts`` in the outbox
    seconds: float = 0.0
    result: str = "ok"
    notes: list[str] = field(default_factory=list)


def verify_delivery(
    figures: Figures,
    rows: Sequence[OutboxMessage],
    received: Counter[str],
    *,
    max_copies: int,
    attempts_within_copies: bool = True,
) -> None:
    """Every message sent and in the sink (0 lost), nothing foreign in the sink, at most
    ``max_copies`` per Message-ID and — if ``attempts_within_copies`` — for every message
    1 ≤ attempts ≤ copies received (no attempt counted that was not made)."""
    figures.messages, figures.copies = len(rows), sum(received.values())
    figures.max_copies = max(received.values(), default=0)
    figures.attempts = sum(row.attempts for row in rows)
    lost = [row.message_id for row in rows if received[row.message_id] == 0]
    check(not lost, f"{len(lost)} of {len(rows)} messages never reached the sink: {lost[:5]}")
    unsent = Counter(row.status for row in rows if row.status != "sent")
    check(not unsent, f"not sent at the end: {dict(unsent)} of {len(rows)} messages")
    foreign = set(received) - {row.message_id for row in rows}
    check(not foreign, f"the sink got Message-IDs the outbox does not have: {sorted(foreign)[:5]}")
    over = {m: n for m, n in received.items() if n > max_copies}
    check(not over, f"delivered more than {max_copies}×: {over}")
    if attempts_within_copies:
        wrong = {
            row.message_id: (row.attempts, received[row.message_id])
            for row in rows
            if not 1 <= row.attempts <= received[row.message_id]
        }
        check(not wrong, f"attempts outside 1..copies (attempts, copies): {wrong}")


HEADER = (
    "scenario",
    "database",
    "messages",
    "kills",
    "copies delivered",
    "max copies per Message-ID",
    "attempts / copies",
    "wall time",
    "result",
)


def table(all_figures: Sequence[Figures]) -> str:
    """A Markdown table of the figures, then each scenario's notes as a list."""
    body = [
        (
            f.scenario,
            f.database,
            f"{f.messages:,}",
            str(f.kills),
            f"{f.copies:,}",
            str(f.max_copies),
            f"{f.attempts:,} / {f.copies:,}",
            f"{f.seconds:.0f} s",
            f.result,
        )
        for f in all_figures
    ]
    widths = [max(len(row[i]) for row in (HEADER, *body)) for i in range(len(HEADER))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    lines = [line(HEADER), rule, *(line(row) for row in body), ""]
    lines += [f"- {f.scenario} ({f.database}): {note}" for f in all_figures for note in f.notes]
    return "\n".join(lines)
