"""Journey texts and ledger set-ups that several journey tests share (receipts, runtime, chaos).

A ledger key is ``<run_id>|<step>|<channel>`` and a run id ``<journey>:<person>:<n>``; the
helpers read journey, step, channel and person from the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate import ledger

if TYPE_CHECKING:
    from wegweiser.orchestrate.state import StateStore, Tx


def entry(event: str = "x") -> str:
    """A journey's ``[entry]``: it starts on the event ``event``."""
    return f'[entry]\nkind = "event"\nevent = "{event}"\n'


def sms_step(template: str = "t", *, step: str = "text") -> str:
    """A step that sends the SMS ``template``."""
    return f'[[steps]]\nid = "{step}"\ntype = "send"\nchannel = "sms"\ntemplate = "{template}"\n'


def webhook_step(step: str, endpoint: str, payload: str) -> str:
    """A step that calls the webhook ``endpoint`` with ``payload`` (an inline TOML table)."""
    return (f'[[steps]]\nid = "{step}"\ntype = "webhook"\nendpoint = "{endpoint}"\n'
            f"payload = {payload}\n")


def text_template(name: str, de: str, en: str) -> str:
    """A text-only template ``name`` in German and English."""
    return f'[templates.{name}.de]\ntext = "{de}"\n[templates.{name}.en]\ntext = "{en}"\n'


#: enter on ``x``, send the SMS ``t``
SMS_JOURNEY = entry() + sms_step() + text_template("t", "Hallo", "Hello")

#: :data:`SMS_JOURNEY`, then the webhook ``crm`` (to see whether a step after it runs again)
SMS_THEN_WEBHOOK = (entry() + sms_step()
                    + webhook_step("later", "crm", '{ p = "{{ person.person_id }}" }')
                    + text_template("t", "Hallo", "Hello"))


def _intent(key: str, channel: str | None = None) -> ledger.Intent:
    run_id, step, key_channel = key.split("|")
    journey, person_id = run_id.split(":")[:2]
    return ledger.Intent(key=key, run_id=run_id, journey=journey, step=step,
                         channel=channel or key_channel, person_id=person_id)


def ledger_row(tx: Tx, key: str, state: str, channel: str | None = None, *,
               now: float = 1.0, lease_until: float = 5.0) -> None:
    """The ledger row ``key`` in ``state`` as the runtime leaves it: ``sending`` by the
    worker ``dead`` (leased until ``lease_until``), then finished, recovered (``unknown``)
    after the lease, or recorded without a send (``suppressed``, ``dropped``, ``holdout``)."""
    intent = _intent(key, channel)
    if state in ("suppressed", "dropped", "holdout"):
        ledger.record(tx, intent, state, "no consent", now=now)
        return
    attempt = ledger.start(tx, intent, worker="dead", lease_until=lease_until, now=now)
    if state == "unknown":
        assert ledger.recover(tx, key, idempotent=False, now=lease_until + 1) == "unknown"
    elif state != "sending":
        ledger.finish(tx, key, worker="dead", attempt=attempt, state=state, reason=None,
                      now=now + 1)


def died_while_sending(store: StateStore, key: str, *, now: float, lease_until: float) -> None:
    """A worker ``dead`` claimed the runs and died after marking ``key`` ``sending``: its
    claims and its lease end at ``lease_until``."""
    with store.transaction() as tx:
        tx.execute("UPDATE wj_runs SET claimed_by = 'dead', claim_until = :c",
                   {"c": lease_until})
        ledger_row(tx, key, "sending", now=now, lease_until=lease_until)


def ledger_by_key(store: StateStore, *columns: str) -> dict[str, tuple[Any, ...]]:
    """Ledger key -> the values of ``columns`` (constant names of ``wj_ledger`` columns)."""
    with store.transaction() as tx:
        rows = tx.execute(f"SELECT key, {', '.join(columns)} FROM wj_ledger")
    return {str(r[0]): tuple(r[1:]) for r in rows}
