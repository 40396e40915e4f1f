"""A new user's one-time link to set the password (SPEC §16): the mail and the link's use.

``enqueue`` stores the mail in the outbox in the command's transaction, with the placeholder of
``cycle.mail.password_links`` (the link is minted at delivery, never stored). The command of the
page the link opens is ``accounts.set_password_by_link``: a used, expired, revoked or unknown
link is refused with ``NEUTRAL``, which does not say which.
"""

from __future__ import annotations

import secrets

from cycle.mail import compose
from cycle.mail import password_links as mail_links
from cycle.persistence import password_store
from cycle.persistence.tables import UserRow
from cycle.service.uow import UnitOfWork

NEUTRAL = (
    "Dieser Link ist nicht (mehr) gültig: Er ist abgelaufen, wurde schon verwendet oder ist "
    "unbekannt. Bitte bitten Sie die Koordinierungsstelle um einen neuen Link."
)


def enqueue(uow: UnitOfWork, row: UserRow, actor: str) -> None:
    """The mail with the set-password link for ``row`` (who has an e-mail address)."""
    settings, renderer = uow.settings, uow.mail.renderer
    k = settings.koordinierungsstelle
    context = {
        "name": row.name,
        "login": row.login,
        "link": mail_links.PLACEHOLDER,
        "stunden": int(password_store.VALID.total_seconds() // 3600),
        "koordinierungsstelle": {"name": k.name, "email": k.email},
    }
    draft = compose.Draft(
        key=f"{mail_links.KIND}/{row.login}/{secrets.token_hex(8)}",
        kind=mail_links.KIND,
        level=0,
        send_at=uow.now,
        to=(f"{row.name} <{row.email}>",),
        rendered=renderer.render(mail_links.KIND, context),
        bundle=False,
        marks=((mail_links.MARK, row.login),),
    )
    compose.store(uow.session, [draft], settings, renderer, uow.now, actor)
