"""Print `zyklus simulate --format json` as a compact German timeline (demo helper)."""

from __future__ import annotations

import json
import sys
from typing import Any


def main() -> int:
    rows: list[dict[str, Any]] = json.load(sys.stdin)
    shown = [r for r in rows if r["kind"] != "wochenuebersicht"]
    for r in shown:
        day = r["at"][:10]
        to = ", ".join(r["to"])
        to = to if len(to) <= 60 else to[:57] + "…"
        print(
            f"{day[8:10]}.{day[5:7]}.{day[:4]}  {r['kind']:<21} {r['level']:>2}  "
            f"{r['pairing'] or '':<15} {r['stage'] or '':<21} → {to}"
        )
    print(
        f"{len(rows)} Nachrichten, davon {len(rows) - len(shown)} Wochenübersichten "
        "(nicht gezeigt)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
