"""Sending a message step: the delivery policy, the send ledger and the channel, in the
order that never sends twice (see :mod:`wegweiser.orchestrate.ledger`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from wegweiser.orchestrate import ledger, policy, templates
from wegweiser.orchestrate._runs import RunWriter, run_lease, wait_event_of
from wegweiser.orchestrate.channels import CanPrepare, Delivered, Message
from wegweiser.orchestrate.definitions import SendStep, WebhookStep
from wegweiser.orchestrate.errors import Terminal, Transient

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from wegweiser.orchestrate._runs import Run
    from wegweiser.orchestrate.channels import Channel, Outcome, Prepared
    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.state import Tx


GROUP = 16
"""The webhook sends of up to this many runs of a lane begin in one transaction
(:meth:`Sending.begin_group`)."""


@dataclass(frozen=True)
class _Begun:
    """A send begun with others in one transaction (:meth:`Sending.begin_group`)."""

    step: str
    attempt: int | None
    """The attempt that goes out now, or None (then ``moved``: the run as it moved on)."""
    moved: Run | None
    message: Message | None
    key: str
    """The ledger key."""
    fresh_until: float
    """Until when the leases taken at the start surely hold (half a lease): a send after
    that lengthens them first."""


class Sending(RunWriter):
    """The send step of the runtime: render, policy and ledger, channel, outcome."""

    _begun: dict[str, _Begun]
    """Sends begun by :meth:`begin_group`, by run id."""

    def begin_group(self, runs: Sequence[Run]) -> None:
        """Begin the webhook sends of ``runs`` in one transaction: those standing at a
        webhook step on a channel that honours idempotency keys (one commit for the group
        instead of one each, with the outcomes of the sends before). Each message is then
        sent by :meth:`_send` when its run's turn comes. Never-send-twice holds as for one:
        a row is ``sending`` before its message leaves; a crash leaves the group's rows
        ``sending``, sent again with the same key (the receiver drops repeats). Channels
        without keys (SMTP, SMS) begin one by one, so that a crash leaves at most one
        ``unknown`` per lane."""
        todo = []
        for run in runs:
            journey = self.journeys.get(run.journey)
            if journey is None or run.step is None:
                continue
            try:
                step = journey.step(run.step)
            except KeyError:
                continue  # one by one: parked with its reason
            if not isinstance(step, WebhookStep):
                continue
            channel_name, intent = _intent(journey, run, step)
            channel = self.channels.get(channel_name)
            if channel is None or not channel.idempotent or _can_prepare(channel):
                continue
            try:
                message = self._message(journey, run, step, intent)
            except Terminal:
                continue  # one by one: parked with its reason
            todo.append((journey, run, step, channel, intent, message))
        if len(todo) < 2:
            return
        todo.sort(key=lambda t: t[1].person_id)  # PostgreSQL: person locks in one order
        now = self.clock()
        with self._tx() as tx:
            begun = {
                run.run_id: _Begun(step.id, *self._begin_send_tx(
                    tx, journey, run, step, channel, intent, None, now), message,
                    intent.key, now + self.lease / 2)
                for journey, run, step, channel, intent, message in todo
            }
        self._begun.update(begun)

    def _send_begun(self, journey: Journey, run: Run, step: WebhookStep, channel: Channel,
                    intent: ledger.Intent, begun: _Begun) -> Run | None:
        if begun.attempt is None:
            return begun.moved
        assert begun.message is not None
        if self.clock() > begun.fresh_until and not self._lengthen(run.run_id, begun):
            return None  # the claim ran out meanwhile: whoever has the run now sends it
        outcome = channel.send(begun.message, intent.key)
        return self._outcome(journey, run, step, channel, intent, begun.attempt, outcome)

    def _lengthen(self, run_id: str, begun: _Begun) -> bool:
        """Lengthen the claims and the ``sending`` leases of this send and of the group's
        sends still to come, in one transaction; those whose claim is gone will send
        nothing. Returns whether this one's held."""
        now = self.clock()
        lease = run_lease(now, self.lease)
        todo = {run_id: begun, **{r: b for r, b in self._begun.items()
                                  if b.attempt is not None}}
        held: dict[str, bool] = {}
        with self._tx() as tx:
            for rid, b in todo.items():
                assert b.attempt is not None
                tx.execute("UPDATE wj_runs SET claim_until = :c WHERE run_id = :r AND "
                           "claimed_by = :w AND status = 'active' AND claim_until >= :now",
                           {"c": lease, "r": rid, "w": self.worker_id, "now": now})
                held[rid] = tx.rowcount == 1 and ledger.extend(
                    tx, b.key, worker=self.worker_id, attempt=b.attempt, lease_until=lease)
        fresh = now + self.lease / 2
        for rid in self._begun.keys() & held.keys():
            self._begun[rid] = (replace(self._begun[rid], fresh_until=fresh) if held[rid]
                                else _Begun(self._begun[rid].step, None, None, None, "", 0.0))
        return held[run_id]

    def _send(self, journey: Journey, run: Run, step: SendStep | WebhookStep) -> Run | None:
        channel_name, intent = _intent(journey, run, step)
        channel = self.channels.get(channel_name)
        begun = self._begun.pop(run.run_id, None)
        if begun is not None and channel is not None and begun.step == step.id:
            assert isinstance(step, WebhookStep)
            return self._send_begun(journey, run, step, channel, intent, begun)
        if channel is None:
            self._park(run, f"channel {channel_name!r} is not configured "
                            "(journeys/_delivery.toml)")
            return None
        try:
            message = self._message(journey, run, step, intent)
            render_error = None
        except Terminal as exc:
            message, render_error = None, exc
        prepared: Prepared | None = None
        early: Outcome | None = None
        if message is not None and _can_prepare(channel) and not (
            run.holdout and isinstance(step, SendStep)
        ):
            # up to the point of no return
            got = cast("CanPrepare", channel).prepare(message, intent.key)
            if isinstance(got, Delivered | Transient | Terminal):
                early = got
            else:
                prepared = got
        try:
            attempt, result = self._begin_send(journey, run, step, channel, intent,
                                               render_error)
        except BaseException:
            if prepared is not None:
                prepared.abort()
            raise
        if attempt is None:
            if prepared is not None:
                prepared.abort()
            return result
        if early is not None:
            outcome = early
        elif prepared is not None:
            outcome = prepared.commit()
        else:
            assert message is not None
            outcome = channel.send(message, intent.key)
        return self._outcome(journey, run, step, channel, intent, attempt, outcome)

    def _begin_send(
        self, journey: Journey, run: Run, step: SendStep | WebhookStep, channel: Channel,
        intent: ledger.Intent, render_error: Terminal | None,
    ) -> tuple[int | None, Run | None]:
        """The ledger and policy side of a send, in one transaction: the attempt number if
        the message goes out now (the row is ``sending``), else None and the moved run."""
        with self._tx() as tx:
            return self._begin_send_tx(tx, journey, run, step, channel, intent, render_error,
                                       self.clock())

    def _begin_send_tx(
        self, tx: Tx, journey: Journey, run: Run, step: SendStep | WebhookStep,
        channel: Channel, intent: ledger.Intent, render_error: Terminal | None, now: float,
    ) -> tuple[int | None, Run | None]:
        """:meth:`_begin_send` in the transaction ``tx``."""
        nxt = journey.following(step.id)
        # still this worker's run? Then its claim also lasts the send (one statement)
        tx.execute("UPDATE wj_runs SET claim_until = :c WHERE run_id = :r AND claimed_by "
                   "= :w AND status = 'active' AND claim_until >= :now",
                   {"c": run_lease(now, self.lease), "r": run.run_id,
                    "w": self.worker_id, "now": now})
        if tx.rowcount != 1:
            return None, None
        tx.lock_person(run.person_id)
        if isinstance(step, WebhookStep) and render_error is None:
            # most webhooks are a first try: one INSERT, no look-up before it
            made = ledger.begin_new(tx, intent, worker=self.worker_id,
                                    lease_until=run_lease(now, self.lease), now=now)
            if made is not None:
                return made, None
        row = ledger.get(tx, intent.key)
        attempt: int | None = None
        if row is not None and row.state == "sending":
            recovered = ledger.recover(tx, intent.key, idempotent=channel.idempotent, now=now)
            if recovered is None:  # another worker's lease is still running
                self._release_tx(tx, run, due=row.lease_until or now + self.lease)
                return None, None
            if recovered == "unknown":
                return None, self._move_tx(tx, journey, run, nxt, now)
            row = ledger.get(tx, intent.key)
        if row is not None and row.state != "pending":
            return None, self._move_tx(tx, journey, run, nxt, now)  # done before
        if run.holdout and isinstance(step, SendStep):
            ledger.record(tx, intent, "holdout", "journey holdout", now=now)
            return None, self._move_tx(tx, journey, run, nxt, now)
        if isinstance(step, SendStep):  # first try or retry: the policy of this moment
            verdict = self._policy(tx, run, step.channel, now)
            if verdict.verdict in ("suppress", "drop"):
                state = "suppressed" if verdict.verdict == "suppress" else "dropped"
                ledger.record(tx, intent, state, verdict.reason, now=now)
                return None, self._move_tx(tx, journey, run, nxt, now)
            if verdict.verdict == "defer":
                assert verdict.until is not None
                self._release_tx(tx, run, due=verdict.until.timestamp(),
                                 reason=f"deferred: {verdict.reason}")
                return None, None
        if render_error is not None:
            attempt = ledger.start(tx, intent, worker=self.worker_id,
                                   lease_until=now + self.lease, now=now)
            if attempt is not None:
                ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                              state="failed", reason=render_error.reason, now=now)
                self._outbox(tx, [self._event(
                    run, "track", "message_failed",
                    {**self._tags(intent), "reason": render_error.reason}, tag=intent.key,
                    channel=intent.channel)], now)
            self._park_tx(tx, run, render_error.reason, now)
            return None, None
        attempt = ledger.start(tx, intent, worker=self.worker_id,
                               lease_until=run_lease(now, self.lease), now=now,
                               new=row is None)
        if attempt is None:  # pending, but its next attempt is not due yet
            due = row.next_attempt_at if row is not None and row.next_attempt_at else now
            self._release_tx(tx, run, due=due)
            return None, None
        return attempt, None

    def _outcome(
        self, journey: Journey, run: Run, step: SendStep | WebhookStep, channel: Channel,
        intent: ledger.Intent, attempt: int, outcome: Outcome,
    ) -> Run | None:
        now = self.clock()
        nxt = journey.following(step.id)
        if isinstance(outcome, Delivered) and channel.idempotent:
            # one commit less per webhook: written with this lane's next transaction
            self._defer(functools.partial(self._delivered_tx, journey, run, intent, attempt,
                                          nxt, now))
            if nxt is None:
                return None
            following = journey.step(nxt)
            return replace(run, step=nxt, step_at=now, due_at=now,
                           wait_event=wait_event_of(following), signal_at=None)
        with self._tx() as tx:
            if isinstance(outcome, Delivered):
                ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                              state="sent", reason=None, now=now)
                event = self._event(run, "track", "message_sent", self._tags(intent),
                                    tag=intent.key, channel=intent.channel)
                if not self._still_mine(tx, run, now):
                    self._outbox(tx, [event], now)
                    return None
                return self._move_tx(tx, journey, run, nxt, now, outbox=[event])
            if isinstance(outcome, Transient):
                if outcome.maybe_delivered and not channel.idempotent:
                    ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                                  state="unknown", reason=outcome.reason, now=now)
                    return self._move_tx(tx, journey, run, nxt, now) if self._still_mine(
                        tx, run, now) else None
                if attempt < step.attempts:
                    base = self.delivery.retry_backoff.total_seconds()
                    due = now + min(3600.0, base * 2 ** (attempt - 1))
                    ledger.retry_later(tx, intent.key, worker=self.worker_id, attempt=attempt,
                                       at=due, reason=outcome.reason, now=now)
                    if self._still_mine(tx, run, now):
                        self._release_tx(tx, run, due=due, reason=f"retry: {outcome.reason}")
                    return None
            reason = outcome.reason
            ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                          state="failed", reason=reason, now=now)
            failed = self._event(run, "track", "message_failed",
                                 {**self._tags(intent), "reason": reason}, tag=intent.key,
                                 channel=intent.channel)
            self._outbox(tx, [failed], now)
            if self._still_mine(tx, run, now):
                self._park_tx(tx, run, reason, now)
        return None

    def _delivered_tx(self, journey: Journey, run: Run, intent: ledger.Intent, attempt: int,
                      nxt: str | None, now: float, tx: Tx) -> None:
        """A delivered message: ``sent`` and the run's next step (see :meth:`_outcome`)."""
        ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt, state="sent",
                      reason=None, now=now)
        event = self._event(run, "track", "message_sent", self._tags(intent), tag=intent.key,
                            channel=intent.channel)
        # the event in any case; the move only if the run is still this worker's
        self._move_tx(tx, journey, run, nxt, now, outbox=[event], still_mine=True)

    def _policy(self, tx: Tx, run: Run, channel: str, now: float) -> policy.Decision:
        unsubscribed = tx.one(
            "SELECT 1 FROM wj_unsubscribed WHERE person_id = :p AND channel IN (:c, '*')",
            {"p": run.person_id, "c": channel},
        ) is not None
        horizon = max([c.window.total_seconds() for c in self.delivery.caps if c.window]
                      + [2 * 86400.0])
        history = ledger.history(tx, run.person_id, since=now - horizon)
        return policy.decide(run.person, channel, datetime.fromtimestamp(now, UTC),
                             self.delivery, history, unsubscribed=unsubscribed)

    def _message(
        self, journey: Journey, run: Run, step: SendStep | WebhookStep, intent: ledger.Intent
    ) -> Message:
        context = self._context(journey, run, intent.variant, channel=intent.channel)
        if isinstance(step, WebhookStep):
            payload = templates.render_value(step.payload, context)
            return Message(person_id=run.person_id, journey=journey.name, step=step.id,
                           payload=payload)
        versions = journey.templates[step.template]
        if run.person.language(self.delivery.default_language) == "en":
            version = versions.get("en") or versions["de"]
        else:
            version = versions.get("de") or versions["en"]
        rendered = templates.render(version.subject, version.text, version.html, context)
        webpush = self.delivery.webpush
        trait = {"email": self.delivery.email.address_trait, "sms": self.delivery.phone_trait,
                 "push": self.delivery.push_token_trait,
                 "webpush": webpush.subscription_trait if webpush else "push_subscription",
                 }[step.channel]
        to = run.person.traits.get(trait)
        if isinstance(to, dict):  # a web push subscription
            to = json.dumps(to)
        if not isinstance(to, str) or not to:
            raise Terminal(f"the person has no {trait!r} trait to send {step.channel} to")
        unsubscribe = context["links"]["unsubscribe"]
        body = None
        if step.channel == "email" and rendered.html is not None:
            body = self._tracked(rendered.html, intent, keep=unsubscribe)
        return Message(
            person_id=run.person_id, journey=journey.name, step=step.id, variant=step.variant,
            to=to, subject=rendered.subject, text=rendered.text, html=body,
            unsubscribe_url=unsubscribe,
        )

    def _tracked(self, body: str, intent: ledger.Intent, *, keep: str) -> str:
        """The HTML part with the open pixel and tracked links (the delivery settings say
        which); the tokens are signed, so the server redirects only to these links."""
        from wegweiser.orchestrate.tracking import Tracked, make_token, track_html

        d, key = self.delivery, self._secret()

        def link(template: str, tracked: Tracked) -> str:
            return template.replace("{token}", make_token(key, tracked))

        opened = Tracked("open", intent.key, intent.person_id, intent.variant)
        return track_html(
            body,
            click=(lambda url: link(d.click_url, Tracked(
                "click", intent.key, intent.person_id, intent.variant, url)))
            if d.track_clicks else None,
            pixel=link(d.open_url, opened) if d.track_opens else None,
            keep=frozenset({keep}),
        )

    def _context(self, journey: Journey, run: Run, variant: str,
                 channel: str = "email") -> dict[str, Any]:
        return {
            "person": {"person_id": run.person_id, "traits": run.person.traits,
                       "phase": run.person.phase, "country": run.person.country,
                       "recommendations": run.person.recommendations},
            "traits": run.person.traits,
            "scores": run.person.scores,
            "recommendations": run.person.recommendations,
            "trigger": run.trigger,
            "journey": journey.name,
            "step": run.step,
            "variant": variant,
            "links": _Links(lambda: self.unsubscribe_link(run.person_id, channel)),
        }

    def unsubscribe_link(self, person_id: str, channel: str) -> str:
        from wegweiser.orchestrate.unsubscribe import make_token

        token = make_token(self._secret(), person_id, channel)
        return self.delivery.unsubscribe_url.replace("{token}", token)

    def _secret(self) -> str:
        if self._unsubscribe_secret is None:
            from wegweiser.orchestrate.unsubscribe import project_secret

            self._unsubscribe_secret = project_secret(self.store, self.delivery)
        return self._unsubscribe_secret


def _intent(journey: Journey, run: Run, step: SendStep | WebhookStep
            ) -> tuple[str, ledger.Intent]:
    """The channel's name (``channels`` key) and the ledger's intent of ``step``."""
    if isinstance(step, WebhookStep):
        channel_name, ledger_channel, variant = f"webhook:{step.endpoint}", "webhook", ""
    else:
        channel_name = ledger_channel = step.channel
        variant = step.variant
    return channel_name, ledger.Intent(
        key=ledger.key_of(run.run_id, step.id, ledger_channel), run_id=run.run_id,
        journey=journey.name, step=step.id, channel=ledger_channel,
        person_id=run.person_id, variant=variant,
    )


@functools.cache
def _prepares(kind: type) -> bool:
    return issubclass(kind, CanPrepare)


def _can_prepare(channel: Channel) -> bool:
    """``isinstance(channel, CanPrepare)``, asked once per class (a protocol check walks
    every attribute: a tenth of the CPU of a webhook call)."""
    return _prepares(type(channel))


class _Links(Mapping[str, str]):
    """``links`` of a template: the unsubscribe link, signed only when a template (or the
    email's ``List-Unsubscribe``) asks for it -- a webhook payload seldom does."""

    def __init__(self, unsubscribe: Callable[[], str]) -> None:
        self._make = unsubscribe
        self._url: str | None = None

    def __getitem__(self, key: str) -> str:
        if key != "unsubscribe":
            raise KeyError(key)
        if self._url is None:
            self._url = self._make()
        return self._url

    def __iter__(self) -> Iterator[str]:
        return iter(("unsubscribe",))

    def __len__(self) -> int:
        return 1
