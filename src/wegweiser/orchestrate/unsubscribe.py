"""Per-person unsubscribe links: a signed token of (person, channel).

The key comes from the variable named by ``unsubscribe_secret_env`` (default
``WEGWEISER_UNSUBSCRIBE_SECRET``) or, without it, from a random key the state store keeps
(``wj_meta``), so links stay valid across restarts and workers.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeSerializer

from wegweiser.orchestrate.credentials import secret

if TYPE_CHECKING:
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.orchestrate.state import StateStore

_SALT = "wegweiser-unsubscribe"


def make_token(key: str, person_id: str, channel: str) -> str:
    """A URL-safe signed token.

    >>> check_token("k", make_token("k", "p1", "email"))
    ('p1', 'email')
    >>> check_token("other", make_token("k", "p1", "email")) is None
    True
    """
    return str(URLSafeSerializer(key, salt=_SALT).dumps([person_id, channel]))


def check_token(key: str, token: str) -> tuple[str, str] | None:
    """``(person_id, channel)`` of a valid token, else None."""
    try:
        person, channel = URLSafeSerializer(key, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(person), str(channel)


def project_secret(store: StateStore, delivery: Delivery) -> str:
    """The unsubscribe key: from the environment, else kept in the state store."""
    given = secret(delivery.unsubscribe_secret_env)
    if given:
        return given
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO wj_meta (key, value) VALUES ('unsubscribe_key', :v) "
            "ON CONFLICT (key) DO NOTHING",
            {"v": secrets.token_urlsafe(32)},
        )
        row = tx.one("SELECT value FROM wj_meta WHERE key = 'unsubscribe_key'")
    assert row is not None
    return str(row[0])
