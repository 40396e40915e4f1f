"""Print one delivered mail of the demo Maildir as a person would read it (demo helper)."""

from __future__ import annotations

import email.policy
import mailbox
import sys
from pathlib import Path


def main(folder: str, needle: str) -> int:
    box = mailbox.Maildir(Path(folder), factory=None, create=False)
    for key in sorted(box.keys()):
        raw = box.get_bytes(key)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if needle.lower() not in str(message["Subject"]).lower():
            continue
        for header in ("From", "To", "Cc", "Date", "Message-ID", "Subject"):
            if message[header]:
                print(f"{header}: {message[header]}")
        names = [part.get_filename() for part in message.iter_attachments()]
        if names:
            print("Anhänge: " + ", ".join(n for n in names if n))
        print()
        body = message.get_body(("plain",))
        print(body.get_content() if body is not None else "")
        return 0
    print(f"Keine Nachricht mit „{needle}“ im Betreff gefunden.")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
