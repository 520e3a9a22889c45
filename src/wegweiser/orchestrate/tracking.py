"""Open pixel and click redirect: signed links in a sent email, and the message events
they become.

Before an email goes out, every ``http(s)`` link of its HTML part (but the unsubscribe
link) is replaced by the click URL (``click_url``, ``{token}``: a signed token of the
message's ledger key, person, variant and the original link), and a 1x1 image from the open
URL (``open_url``, a signed token of the ledger key, person and variant) is put at the end
of the body. The server (``/o/<token>``, ``/c/<token>``) checks the signature -- the key is
the one that signs the unsubscribe links (``unsubscribe.project_secret``), with a salt of
its own -- and redirects only to the link signed into the token: no open redirect. The text
part is left as it is.

:func:`record` writes the events into the outbox of the state store, the way ``unsubscribed``
and ``message_sent`` go; the worker imports them into the store. Counting rules:

* ``message_opened``: once per message (its ``message_id`` comes from the ledger key): a
  reloaded pixel, a second opening and a click all name the same event, and the import
  drops the repeats. A click counts as an opening too (``by = "click"``): mail clients that
  block images would otherwise show clicks without openings.
* ``message_clicked``: every request is one event (``url`` in its properties).

Only messages the ledger knows as ``sent`` or ``unknown`` are counted.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from itsdangerous import BadSignature, URLSafeSerializer

from wegweiser.orchestrate.state import RUN_PERSON

if TYPE_CHECKING:
    from collections.abc import Callable

    from wegweiser.orchestrate.state import StateStore, Tx

_SALT = "wegweiser-track"
COUNTED = ("sent", "unknown")
_ANCHOR = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Tracked:
    """What a valid token says: an opening or a click of one message (its ledger key)."""

    kind: Literal["open", "click"]
    key: str
    person_id: str
    variant: str
    url: str | None = None


def make_token(secret: str, tracked: Tracked) -> str:
    """A URL-safe signed token.

    >>> t = Tracked("click", "welcome:p1:1|mail|email", "p1", "A", "https://shop.example/x")
    >>> check_token("k", make_token("k", t)) == t
    True
    >>> check_token("other", make_token("k", t)) is None
    True
    """
    data = [tracked.kind[0], tracked.key, tracked.person_id, tracked.variant]
    if tracked.kind == "click":
        if tracked.url is None or not _trackable(tracked.url):
            raise ValueError(f"only http(s) links are tracked, not {tracked.url!r}")
        data.append(tracked.url)
    return str(URLSafeSerializer(secret, salt=_SALT).dumps(data))


def check_token(secret: str, token: str) -> Tracked | None:
    """The :class:`Tracked` of a valid token, else None (a changed token, one signed with
    another key, or one for another purpose such as unsubscribing)."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
        return None
    if data[:1] == ["o"] and len(data) == 4:
        return Tracked("open", data[1], data[2], data[3])
    if data[:1] == ["c"] and len(data) == 5 and _trackable(data[4]):
        return Tracked("click", data[1], data[2], data[3], data[4])
    return None


def _trackable(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def track_html(
    body: str, *, click: Callable[[str], str] | None, pixel: str | None,
    keep: frozenset[str] = frozenset(),
) -> str:
    """``body`` with every ``http(s)`` link (but those in ``keep``) replaced by
    ``click(link)`` and, with ``pixel``, a 1x1 image before ``</body>`` (or at the end).

    >>> track_html('<a href="https://a.example/?x=1&amp;y=2">A</a>', pixel="https://t/o/1",
    ...            click=lambda u: "https://t/c/" + u.split("?")[1])
    '<a href="https://t/c/x=1&amp;y=2">A</a><img src="https://t/o/1" width="1" height="1" \
alt="" style="border:0;width:1px;height:1px">'
    """
    if click is not None:
        def swap(match: re.Match[str]) -> str:
            url = html.unescape(match.group(3)).strip()
            if not _trackable(url) or url in keep:
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}{html.escape(click(url))}{match.group(2)}"

        body = _ANCHOR.sub(swap, body)
    if pixel is not None:
        img = (f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" '
               'style="border:0;width:1px;height:1px">')
        ends = list(_BODY_END.finditer(body))
        body = (body[:ends[-1].start()] + img + body[ends[-1].start():]) if ends \
            else body + img
    return body


def _mid(text: str) -> str:
    return "wj-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def event_base(tx: Tx, run_id: str, person_id: str, channel: str, *, at: float
               ) -> dict[str, Any]:
    """The fields every message event of a run shares: ``track``, the channel, the time
    and the person's ``user_id`` (from the run's person snapshot), else ``anonymous_id``."""
    snapshot = tx.one(f"{RUN_PERSON} WHERE r.run_id = :r", {"r": run_id})
    data: Any = {} if snapshot is None or snapshot[0] is None else snapshot[0]
    user_id = (json.loads(data) if isinstance(data, str) else data).get("user_id")
    return {
        "type": "track", "channel": channel,
        "timestamp": datetime.fromtimestamp(at, UTC).isoformat(),
        **({"user_id": user_id} if user_id else {"anonymous_id": person_id}),
    }


def record(store: StateStore, tracked: Tracked, *, now: float) -> bool:
    """Put the events of an opening or a click into the outbox (see the module docstring);
    False when the ledger does not know the message as sent (nothing is recorded)."""
    with store.transaction() as tx:
        row = tx.one(
            "SELECT run_id, journey, step, channel, person_id, variant, state FROM wj_ledger "
            "WHERE key = :k", {"k": tracked.key})
        if row is None or row[6] not in COUNTED or row[4] != tracked.person_id:
            return False
        run_id, journey, step, channel, person_id, variant, _ = row
        base = event_base(tx, run_id, person_id, channel, at=now)
        tags = {"journey": journey, "step": step, "variant": variant, "channel": channel,
                "ledger_key": tracked.key}
        events = [{**base, "message_id": _mid(f"opened|{tracked.key}"),
                   "event": "message_opened",
                   "properties": {**tags, "by": "pixel" if tracked.kind == "open" else "click"}}]
        if tracked.kind == "click":
            events.append({**base, "message_id": _mid(f"clicked|{tracked.key}|{uuid.uuid4()}"),
                           "event": "message_clicked",
                           "properties": {**tags, "url": tracked.url}})
        tx.executemany(
            "INSERT INTO wj_outbox (message_id, created_at, event) VALUES (:m, :now, :e) "
            "ON CONFLICT (message_id) DO NOTHING",
            [{"m": e["message_id"], "now": now, "e": json.dumps(e)} for e in events])
        click = int(tracked.kind == "click")
        tx.execute(  # the counters of the journeys page (the events are the record)
            "INSERT INTO wj_engagement (key, opened_at, clicks, clicked_at) "
            "VALUES (:k, :now, :c, CASE WHEN :c = 1 THEN :now END) "
            "ON CONFLICT (key) DO UPDATE SET clicks = wj_engagement.clicks + :c, "
            "clicked_at = CASE WHEN :c = 1 THEN :now ELSE wj_engagement.clicked_at END",
            {"k": tracked.key, "now": now, "c": click})
    return True


def per_step(store: StateStore, journey: str | None = None) -> list[dict[str, Any]]:
    """Per journey, step, channel and variant: messages sent (``sent`` or ``unknown`` in
    the ledger), opened and clicked (messages with at least one), clicks (all), and the
    open and click rates (of the messages sent)."""
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT l.journey, l.step, l.channel, l.variant, count(*), count(e.key), "
            "sum(CASE WHEN e.clicks > 0 THEN 1 ELSE 0 END), coalesce(sum(e.clicks), 0) "
            "FROM wj_ledger l LEFT JOIN wj_engagement e ON e.key = l.key "
            "WHERE l.state IN ('sent', 'unknown') "
            "AND (CAST(:j AS TEXT) IS NULL OR l.journey = :j) "
            "GROUP BY l.journey, l.step, l.channel, l.variant "
            "ORDER BY l.journey, l.step, l.channel, l.variant", {"j": journey})
    out = []
    for name, step, channel, variant, sent, opened, clicked, clicks in rows:
        sent, opened, clicked = int(sent), int(opened), int(clicked or 0)
        out.append({"journey": name, "step": step, "channel": channel, "variant": variant,
                    "sent": sent, "opened": opened, "clicked": clicked, "clicks": int(clicks),
                    "open_rate": opened / sent, "click_rate": clicked / sent})
    return out
