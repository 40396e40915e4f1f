"""Print `zyklus simulate --format csv` as a compact German timeline (demo helper)."""

from __future__ import annotations

import csv
import sys


def main() -> int:
    rows = list(csv.DictReader(sys.stdin))
    shown = [r for r in rows if r["kind"] != "wochenuebersicht"]
    for r in shown:
        day = r["at"][:10]
        to = r["to"] if len(r["to"]) <= 60 else r["to"][:57] + "…"
        print(
            f"{day[8:10]}.{day[5:7]}.{day[:4]}  {r['kind']:<21} {r['level']:>2}  "
            f"{r['pairing']:<15} {r['stage']:<21} → {to}"
        )
    print(
        f"{len(rows)} Nachrichten, davon {len(rows) - len(shown)} Wochenübersichten "
        "(nicht gezeigt)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
