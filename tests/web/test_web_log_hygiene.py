"""No secret in any log (SPEC §19): a real ``zyklus run`` delivers the day's mail into the
Maildir, a staff member logs in with a password, a Träger contact opens the portal link from a
delivered mail — and the captured stderr of both processes, one JSON object per line, holds no
password, no portal token, no secret key and no mail body.
"""

from __future__ import annotations

import json
import mailbox
import os
import re
import signal
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx

from tests.web.conftest import PASSWORD, SECRET, ZYKLUS, csrf, login, make_site
from tests.web.test_web_workers import configure, serving, site_options

NOW = "2026-03-03T08:05"
AUDIT_KEY = "protokoll-schluessel-0123456789abcdef"
LINK = re.compile(r"/portal/anmelden/([A-Za-z0-9_-]{20,})")


def run_service_once(env: dict[str, str], options: list[str]) -> str:
    """``zyklus run`` until its start-up pass is done, then SIGTERM; its stderr."""
    process = subprocess.Popen(
        [str(ZYKLUS), "run", *options], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    lines = []
    for raw in process.stderr:  # ends at EOF if the service dies
        lines.append(raw.decode())
        if "Dienst läuft" in lines[-1]:
            process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, "".join(lines)
    process.stderr.close()
    return "".join(lines)


def mail_texts(maildir: Path) -> list[str]:
    texts = []
    for message in mailbox.Maildir(maildir, factory=None, create=False):
        parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
        part = parsed.get_body(("plain",))
        assert part is not None
        texts.append(part.get_content())
    return texts


def test_no_password_token_secret_or_mail_body_reaches_the_log(tmp_path: Path) -> None:
    site = make_site(tmp_path, NOW)
    configure(site)  # [log] format = "json"
    site.env["ZYKLUS_AUDIT_KEY"] = AUDIT_KEY
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYKLUS_")} | site.env
    service_log = run_service_once(env, site_options(site))
    bodies = mail_texts(site.folder / "var" / "mail")
    assert bodies, "the start-up pass delivered nothing"
    token = next(t for b in bodies for t in LINK.findall(b))
    with serving(site, "--host", "127.0.0.1") as served:
        login(site.url, "koord").close()
        with httpx.Client(base_url=site.url, follow_redirects=False, timeout=30) as portal:
            page = portal.get(f"/portal/anmelden/{token}")
            used = portal.post(f"/portal/anmelden/{token}", data={"csrftoken": csrf(page.text)})
            assert (used.status_code, used.headers["location"]) == (303, "/portal/")
            assert portal.get("/portal/").status_code == 200
    log = service_log + served.log
    records = [json.loads(line) for line in log.splitlines()]  # every line is one JSON object
    routes = {r.get("route") for r in records}
    assert {"/anmelden", "/portal/anmelden/{token}", "/portal/"} <= routes
    assert any(r.get("pass") == "tick" and r["sent"] > 0 for r in records)
    for secret in (PASSWORD, SECRET, AUDIT_KEY, token, token[:12]):
        assert secret not in log
    body_lines = {line.strip() for b in bodies for line in b.splitlines() if len(line) > 25}
    assert body_lines and not [line for line in body_lines if line in log]
