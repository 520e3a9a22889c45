from __future__ import annotations

import pytest

from tests.orchestrate._journey_fixtures import SMS_JOURNEY, died_while_sending
from tests.orchestrate.helpers import Clock, build, ledger_rows, outbox, person, runs
from tests.orchestrate.sinks import SmtpSink, free_port
from wegweiser.orchestrate.runtime import Entrant

WELCOME = """\
[entry]
kind = "event"
event = "signup"
reentry = "{reentry}"
{extra}

[[steps]]
id = "settle"
type = "wait"
duration = "1h"

[[steps]]
id = "mail"
type = "send"
channel = "email"
template = "hello"

[templates.hello.de]
subject = "Hallo {{{{ traits.first_name }}}}"
text = "Willkommen, {{{{ traits.first_name }}}}! Abmelden: {{{{ links.unsubscribe }}}}"
html = "<p>Willkommen, {{{{ traits.first_name }}}}</p>"

[templates.hello.en]
subject = "Hello {{{{ traits.first_name }}}}"
text = "Welcome, {{{{ traits.first_name }}}}!"
"""


def welcome(reentry: str = "once", extra: str = "") -> str:
    return WELCOME.format(reentry=reentry, extra=extra)


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


def test_a_run_waits_then_sends_once_in_the_persons_language(tmp_path, state_url, smtp):
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"welcome": welcome()}, smtp=smtp, clock=clock)
    anna, bob = person("anna", first_name="Anna"), person("bob", first_name="Bob", language="en")
    assert rt.enter([Entrant("welcome", anna), Entrant("welcome", bob)]) == 2
    assert rt.run_once() == 2  # both wait an hour
    assert rt.run_once() == 0
    clock.advance(3599)
    assert rt.run_once() == 0
    clock.advance(1)
    assert rt.run_once() == 2
    assert runs(rt) == {"welcome:anna:1": ("done", None, "completed"),
                        "welcome:bob:1": ("done", None, "completed")}
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert subjects == ["Hallo Anna", "Hello Bob"]
    assert smtp.keys() == {"welcome:anna:1|mail|email": 1, "welcome:bob:1|mail|email": 1}
    assert {k: v[0] for k, v in ledger_rows(rt).items()} == {
        "welcome:anna:1|mail|email": "sent", "welcome:bob:1|mail|email": "sent"}
    assert outbox(rt) == ["message_sent", "message_sent"]
    anna_mail = next(m for m in smtp.messages if m["Subject"] == "Hallo Anna")
    assert anna_mail["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/u/")


def test_reentry_once_once_per_and_always(tmp_path, state_url):
    clock = Clock()
    for rule, extra, expected in [
        ("once", "", [1, 0, 0]),
        ("once_per", "reentry_days = 2", [1, 0, 1]),
        ("always", "", [1, 1, 1]),
    ]:
        rt = build(tmp_path / rule, f"{state_url}" if "postgresql" in state_url
                   else str(tmp_path / f"{rule}.sqlite"),
                   {f"w_{rule}": welcome(rule, extra)}, clock=clock)
        got = []
        for _ in range(3):
            got.append(rt.enter([Entrant(f"w_{rule}", person("p"))]))
            with rt.store.transaction() as tx:  # end the run so that re-entry may happen
                tx.execute("UPDATE wj_runs SET status = 'done'")
            clock.advance(86400 * 1.5)
        assert got == expected, rule


def test_entry_limit_control_group_and_holdout(tmp_path, state_url, smtp):
    clock = Clock()
    rt = build(tmp_path / "j", state_url,
               {"welcome": welcome(extra="limit = 300").replace(
                   "[entry]", 'holdout = 0.2\n[entry]')},
               "[control_group]\nshare = 0.1\nsalt = 'a'\n", smtp=smtp, clock=clock)
    entrants = [Entrant("welcome", person(f"p{i}", first_name="X")) for i in range(400)]
    assert rt.enter(entrants) == 300
    statuses = [s for s, _, _ in runs(rt).values()]
    n_control = statuses.count("control")
    assert 15 <= n_control <= 50  # ~10% of 300
    clock.advance(3600)
    while rt.run_once(limit=500):
        pass
    states = [s for s, _, _ in ledger_rows(rt).values()]
    assert states.count("holdout") + states.count("sent") == 300 - n_control
    assert 30 <= states.count("holdout") <= 90  # ~20%
    assert len(smtp.messages) == states.count("sent")


def test_a_random_split_gives_the_same_branch_on_every_worker(tmp_path, pg_url):
    text = """\
[entry]
kind = "event"
event = "x"
[[steps]]
id = "ab"
type = "random"
branches = [{ share = 30, next = "a" }, { share = 70, next = "b" }]
[[steps]]
id = "a"
type = "exit"
reason = "goal"
[[steps]]
id = "b"
type = "exit"
reason = "manual"
"""
    results = []
    for n, url in enumerate([str(tmp_path / "one.sqlite"), pg_url]):
        rt = build(tmp_path / f"j{n}", url, {"ab": text}, worker_id=f"w{n}")
        rt.enter([Entrant("ab", person(f"p{i}")) for i in range(1000)])
        while rt.run_once(limit=400):
            pass
        with rt.store.transaction() as tx:
            results.append(dict(tx.execute("SELECT person_id, reason FROM wj_runs")))
    assert results[0] == results[1]
    share_a = list(results[0].values()).count("goal") / 1000
    assert 0.26 < share_a < 0.34
    assert list(results[0].values()).count("manual") == 1000 - share_a * 1000


def test_wait_for_an_event_or_time_out(tmp_path, state_url, hook):
    text = """\
[entry]
kind = "event"
event = "x"
[[steps]]
id = "cart"
type = "wait"
until_event = "add_to_cart"
where = [{ property = "price", op = "ge", value = 50 }]
timeout = "2d"
on_timeout = "nudge"
[[steps]]
id = "thanks"
type = "exit"
reason = "goal"
[[steps]]
id = "nudge"
type = "webhook"
endpoint = "crm"
payload = { who = "{{ person.person_id }}", why = "no cart" }
"""
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"cart": text},
               '[webhooks.crm]\nurl = "http://127.0.0.1:9/"\n', hook=hook, clock=clock)
    rt.enter([Entrant("cart", person("a")), Entrant("cart", person("b"))])
    assert rt.run_once() == 2
    clock.advance(3600)
    assert rt.signal("a", "add_to_cart", {"price": 10}, clock()) == 0  # filter says no
    assert rt.signal("a", "add_to_cart", {"price": 80}, clock()) == 1
    assert rt.run_once() == 1
    clock.advance(2 * 86400)
    assert rt.run_once() == 1
    assert runs(rt) == {"cart:a:1": ("done", None, "goal"), "cart:b:1": ("done", None,
                                                                          "completed")}
    ((key, body, signed),) = hook.arrivals
    assert (key, body, signed) == ("cart:b:1|nudge|webhook", {"who": "b", "why": "no cart"}, True)


def test_quiet_hours_defer_in_the_persons_time_zone(tmp_path, state_url, smtp):
    from datetime import UTC, datetime

    clock = Clock(datetime(2026, 6, 1, 18, 30, tzinfo=UTC))  # 20:30 Berlin, 14:30 New York
    rt = build(tmp_path / "j", state_url, {"welcome": welcome()},
               '[quiet_hours]\nstart = "21:00"\nend = "08:00"\n', smtp=smtp, clock=clock)
    berlin = person("berlin", first_name="B", timezone="Europe/Berlin")
    ny = person("ny", first_name="N", timezone=None, country="US")
    rt.enter([Entrant("welcome", berlin), Entrant("welcome", ny)])
    rt.run_once()
    clock.advance(3600)  # 21:30 Berlin: quiet; 15:30 New York: fine
    assert rt.run_once() == 2
    assert smtp.keys() == {"welcome:ny:1|mail|email": 1}
    assert runs(rt)["welcome:berlin:1"] == ("active", "mail", "deferred: quiet hours")
    with rt.store.transaction() as tx:
        due = tx.one("SELECT due_at FROM wj_runs WHERE person_id = 'berlin'")[0]  # type: ignore[index]
    assert datetime.fromtimestamp(due, UTC) == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)  # 08:00
    clock.now = due
    assert rt.run_once() == 1
    assert len(smtp.messages) == 2


def test_caps_defer_the_lower_priority_message_and_no_consent_suppresses(tmp_path, state_url,
                                                                       smtp):
    clock = Clock()
    low = welcome().replace("[entry]", "priority = 1\n[entry]")
    high = welcome().replace("[entry]", "priority = 9\n[entry]")
    rt = build(tmp_path / "j", state_url, {"low": low, "high": high},
               '[[caps]]\nchannel = "*"\nmax = 1\nper = "day"\n', smtp=smtp, clock=clock)
    p = person("p", first_name="P", timezone="Europe/Berlin")
    shy = person("shy", first_name="S", email_opt_in=False)
    rt.enter([Entrant("low", p), Entrant("high", p), Entrant("low", shy)])
    rt.run_once()
    clock.advance(3600)
    rt.run_once()
    assert smtp.keys() == {"high:p:1|mail|email": 1}
    assert runs(rt)["low:p:1"] == ("active", "mail", "deferred: frequency cap")
    assert ledger_rows(rt)["low:shy:1|mail|email"] == ("suppressed", 0, "no consent for email")
    assert runs(rt)["low:shy:1"][0] == "done"
    clock.advance(86400)
    rt.run_once()
    assert smtp.keys() == {"high:p:1|mail|email": 1, "low:p:1|mail|email": 1}


def test_unsubscribed_persons_get_nothing(tmp_path, state_url, smtp):
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"welcome": welcome()}, smtp=smtp, clock=clock)
    rt.enter([Entrant("welcome", person("p", first_name="P"))])
    rt.unsubscribe("p", "email")
    clock.advance(3600)
    rt.run_once()
    assert smtp.messages == []
    assert ledger_rows(rt)["welcome:p:1|mail|email"][0] == "suppressed"


def test_a_template_error_parks_the_run_with_its_reason(tmp_path, state_url, smtp):
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"welcome": welcome()}, smtp=smtp, clock=clock)
    rt.enter([Entrant("welcome", person("p"))])  # no first_name trait
    clock.advance(3600)
    rt.run_once()
    status, step, reason = runs(rt)["welcome:p:1"]
    assert (status, step) == ("parked", "mail")
    assert "template error" in (reason or "")
    assert "first_name" in (reason or "")
    state, attempts, why = ledger_rows(rt)["welcome:p:1|mail|email"]
    assert (state, attempts) == ("failed", 1)
    assert why == reason
    assert outbox(rt) == ["message_failed"]
    assert smtp.messages == []


def test_an_unreachable_smtp_server_is_retried_then_parked(tmp_path, state_url):
    clock = Clock()

    class Down:
        port = free_port()

    rt = build(tmp_path / "j", state_url, {"welcome": welcome()}, 'retry_backoff = "10s"\n'
               '[email]\ntimeout_seconds = 1\n', smtp=Down, clock=clock)
    rt.enter([Entrant("welcome", person("p", first_name="P"))])
    clock.advance(3600)
    waits = []
    for _ in range(5):
        rt.run_once()
        with rt.store.transaction() as tx:
            due = tx.one("SELECT due_at FROM wj_runs")[0]  # type: ignore[index]
        waits.append(round(due - clock()))
        clock.now = due
    assert waits == [10, 20, 40, 80, 0]
    state, attempts, reason = ledger_rows(rt)["welcome:p:1|mail|email"]
    assert (state, attempts) == ("failed", 5)
    assert "SMTP" in (reason or "")
    assert runs(rt)["welcome:p:1"][0] == "parked"


def test_a_webhook_500_is_retried_with_the_same_key(tmp_path, state_url, hook):
    text = """\
[entry]
kind = "event"
event = "x"
[[steps]]
id = "tell"
type = "webhook"
endpoint = "crm"
payload = { n = 1 }
"""
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"tell": text},
               'retry_backoff = "5s"\n[webhooks.crm]\nurl = "http://127.0.0.1:9/"\n',
               hook=hook, clock=clock)
    hook.script = [500] * 4  # the channel tries 3 times at once, then the ledger retries
    rt.enter([Entrant("tell", person("p"))])
    rt.run_once()
    assert ledger_rows(rt)["tell:p:1|tell|webhook"][0] == "pending"
    clock.advance(5)
    rt.run_once()
    assert ledger_rows(rt)["tell:p:1|tell|webhook"][:2] == ("sent", 2)
    assert hook.keys() == {"tell:p:1|tell|webhook": 5}
    assert hook.accepted() == {"tell:p:1|tell|webhook"}
    assert runs(rt)["tell:p:1"][0] == "done"


@pytest.mark.parametrize("honours", [False, True])
def test_a_dead_workers_sms_is_unknown_unless_the_gateway_drops_repeats(tmp_path, hook, honours):
    from wegweiser.orchestrate.channels.provider import ProviderChannel
    from wegweiser.orchestrate.settings import EndpointSettings

    clock = Clock()
    rt = build(tmp_path / "j", str(tmp_path / "j.sqlite"), {"t": SMS_JOURNEY}, 'lease = "10s"\n',
               hook=hook, clock=clock)
    rt.channels["sms"] = ProviderChannel("sms", EndpointSettings(
        url=hook.url, honours_idempotency_key=honours), secret="hook-secret")
    assert rt.channels["sms"].idempotent is honours
    rt.enter([Entrant("t", person("p", phone="+4917012345", sms_opt_in=True))])
    key = "t:p:1|text|sms"
    died_while_sending(rt.store, key, now=clock(), lease_until=clock() + 10)
    clock.advance(11)
    rt.run_once()
    assert runs(rt)["t:p:1"][0] == "done"
    if honours:
        assert ledger_rows(rt)[key][:2] == ("sent", 2)
        assert hook.keys() == {key: 1}  # again, with the same key
    else:
        assert ledger_rows(rt)[key][0] == "unknown"
        assert hook.keys() == {}  # never sent again automatically


def test_threads_send_each_message_once(tmp_path, state_url, smtp):
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"welcome": welcome()}, smtp=smtp, clock=clock)
    rt.enter([Entrant("welcome", person(f"p{i}", first_name="X")) for i in range(120)])
    clock.advance(3600)
    while rt.run_once(limit=40, threads=4):
        pass
    assert sorted(smtp.keys().values()) == [1] * 120
    assert {s for s, _, _ in runs(rt).values()} == {"done"}


def test_two_workers_never_exceed_a_cap_together(tmp_path, pg_url, smtp):
    """Two workers on one PostgreSQL taking one run at a time, six journeys per person, a
    cap of one message a day: the per-person lock lets exactly one message through."""
    import threading

    clock = Clock()
    journeys = {f"j{n}": welcome() for n in range(6)}
    cap = '[[caps]]\nchannel = "*"\nmax = 1\nper = "day"\n'
    one = build(tmp_path / "a", pg_url, journeys, cap, smtp=smtp, clock=clock, worker_id="a")
    two = build(tmp_path / "b", pg_url, journeys, cap, smtp=smtp, clock=clock, worker_id="b")
    people = [person(f"p{i}", first_name="X") for i in range(8)]
    one.enter([Entrant(f"j{n}", p) for p in people for n in range(6)])
    clock.advance(3600)

    def work(rt):
        while rt.run_once(limit=1):
            pass

    threads = [threading.Thread(target=work, args=(rt,)) for rt in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_person: dict[str, int] = {}
    for key in smtp.keys().elements():
        pid = key.split(":")[1]
        per_person[pid] = per_person.get(pid, 0) + 1
    assert per_person == {p.person_id: 1 for p in people}
    with one.store.transaction() as tx:
        deferred = tx.one("SELECT count(*) FROM wj_runs WHERE reason = "
                          "'deferred: frequency cap'")[0]  # type: ignore[index]
    assert deferred == 40


def test_a_web_push_step_goes_to_the_persons_subscription(tmp_path, hook):
    import json

    import http_ece

    from tests.orchestrate.test_channels import _subscription

    text = welcome().replace('channel = "email"', 'channel = "webpush"')
    clock = Clock()
    rt = build(tmp_path / "j", str(tmp_path / "s.sqlite"), {"welcome": text},
               "[webpush]\nsubject = \"mailto:shop@example.org\"\n", hook=hook, clock=clock)
    subscription, receiver, auth = _subscription(hook.url)
    rt.enter([Entrant("welcome", person("p", first_name="Pia", push_opt_in=True,
                                        push_subscription=subscription)),
              Entrant("welcome", person("q", first_name="Quirin",
                                        push_subscription=subscription))])  # no consent
    clock.advance(3600)
    rt.run_once()
    ((_, body),) = hook.raw
    plain = json.loads(http_ece.decrypt(body, private_key=receiver, auth_secret=auth,
                                        version="aes128gcm"))
    assert (plain["title"], plain["key"]) == ("Hallo Pia", "welcome:p:1|mail|webpush")
    rows = ledger_rows(rt)
    assert rows["welcome:p:1|mail|webpush"][0] == "sent"
    assert rows["welcome:q:1|mail|webpush"][:1] == ("suppressed",)


def test_a_parked_run_goes_on_after_the_fix_and_resume(tmp_path, state_url, smtp):
    from wegweiser.orchestrate.operations import resume_parked

    clock = Clock()
    broken = build(tmp_path / "j", state_url, {"welcome": welcome()}, smtp=smtp, clock=clock)
    broken.enter([Entrant("welcome", person("p"))])  # no first_name: the template fails
    clock.advance(3600)
    broken.run_once()
    assert runs(broken)["welcome:p:1"][0] == "parked"
    fixed_text = welcome().replace("traits.first_name }}", "traits.first_name | default('') }}")
    fixed = build(tmp_path / "j2", state_url, {"welcome": fixed_text}, smtp=smtp, clock=clock,
                  worker_id="w2")
    assert resume_parked(fixed.store, "welcome", now=clock()) == 1
    fixed.run_once()
    assert runs(fixed)["welcome:p:1"] == ("done", None, "completed")
    assert ledger_rows(fixed)["welcome:p:1|mail|email"][:2] == ("sent", 1)
    assert smtp.keys() == {"welcome:p:1|mail|email": 1}


def test_a_retry_respects_quiet_hours_too(tmp_path, state_url, hook):
    from datetime import UTC, datetime

    text = welcome().replace('channel = "email"', 'channel = "sms"')
    clock = Clock(datetime(2026, 6, 1, 19, 58, tzinfo=UTC))
    rt = build(tmp_path / "j", state_url, {"welcome": text},
               'retry_backoff = "5m"\n[quiet_hours]\nstart = "21:00"\nend = "08:00"\n',
               hook=hook, clock=clock)
    rt.enter([Entrant("welcome", person("p", first_name="P", phone="+49170", sms_opt_in=True))])
    clock.advance(3600)  # 20:58 UTC: allowed; the provider fails
    hook.script = [500]
    rt.run_once()
    assert ledger_rows(rt)["welcome:p:1|mail|sms"][:2] == ("pending", 1)
    clock.advance(300)  # 21:03: the retry is due, but quiet hours have begun
    rt.run_once()
    assert len(hook.arrivals) == 1
    assert runs(rt)["welcome:p:1"] == ("active", "mail", "deferred: quiet hours")
    with rt.store.transaction() as tx:
        due = tx.one("SELECT due_at FROM wj_runs")[0]  # type: ignore[index]
    assert datetime.fromtimestamp(due, UTC) == datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
    clock.now = due
    rt.run_once()
    assert ledger_rows(rt)["welcome:p:1|mail|sms"][:2] == ("sent", 2)


def test_consent_withdrawn_before_a_retry_suppresses_it(tmp_path, state_url, hook):
    text = welcome().replace('channel = "email"', 'channel = "sms"')
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"welcome": text}, 'retry_backoff = "5m"\n',
               hook=hook, clock=clock)
    rt.enter([Entrant("welcome", person("p", first_name="P", phone="+49170", sms_opt_in=True))])
    clock.advance(3600)
    hook.script = [500]
    rt.run_once()
    rt.unsubscribe("p", "sms")
    clock.advance(300)
    rt.run_once()
    assert ledger_rows(rt)["welcome:p:1|mail|sms"][0] == "suppressed"
    assert runs(rt)["welcome:p:1"][0] == "done"
    assert len(hook.arrivals) == 1


def test_set_trait_and_emit_go_to_the_outbox_and_later_steps_see_the_trait(tmp_path, state_url):
    import json

    text = """\
[entry]
kind = "event"
event = "x"
[[steps]]
id = "mark"
type = "set_trait"
trait = "tier"
value = "gold"
[[steps]]
id = "tell"
type = "emit"
event = "tier_granted"
properties = { tier = "{{ traits.tier }}", who = "{{ person.person_id }}" }
[[steps]]
id = "check"
type = "split"
branches = [{ when = { trait = "tier", value = "gold" }, next = "gold" }, { next = "other" }]
[[steps]]
id = "gold"
type = "exit"
reason = "goal"
[[steps]]
id = "other"
type = "exit"
"""
    rt = build(tmp_path / "j", state_url, {"tier": text})
    rt.enter([Entrant("tier", person("p"))])
    rt.run_once()
    assert runs(rt)["tier:p:1"] == ("done", None, "goal")
    with rt.store.transaction() as tx:
        events = [json.loads(r[0]) for r in tx.execute(
            "SELECT event FROM wj_outbox ORDER BY created_at, message_id")]
    by_type = {e["type"]: e for e in events}
    assert by_type["identify"]["traits"] == {"tier": "gold"}
    assert by_type["identify"]["user_id"] == "p"
    assert by_type["track"]["event"] == "tier_granted"
    assert by_type["track"]["properties"] == {"tier": "gold", "who": "p"}


def test_runs_share_one_snapshot_per_person_and_a_changed_one_stays_the_runs(tmp_path,
                                                                             state_url):
    """Schema 5: entering writes each person's snapshot once (``wj_persons``), their runs
    see it there; ``set_trait`` gives its run a copy of its own; a refresh replaces both."""
    check = """\
[[steps]]
id = "settle"
type = "wait"
duration = "1h"
[[steps]]
id = "check"
type = "split"
branches = [{ when = { trait = "tier", value = "gold" }, next = "gold" }, { next = "other" }]
[[steps]]
id = "gold"
type = "exit"
reason = "goal"
[[steps]]
id = "other"
type = "exit"
reason = "manual"
"""
    marks = """\
[entry]
kind = "event"
event = "x"
[[steps]]
id = "mark"
type = "set_trait"
trait = "tier"
value = "gold"
""" + check
    looks = '[entry]\nkind = "event"\nevent = "x"\n' + check
    clock = Clock()
    rt = build(tmp_path / "j", state_url, {"marks": marks, "looks": looks}, clock=clock)
    p, q = person("p"), person("q")
    assert rt.enter([Entrant(j, x) for j in ("marks", "looks") for x in (p, q)]) == 4

    def stored() -> tuple[dict[str, str | None], dict[str, dict]]:
        import json

        with rt.store.transaction() as tx:
            own = dict(tx.execute("SELECT run_id, person FROM wj_runs"))
            shared = {r[0]: json.loads(r[1]) for r in tx.execute(
                "SELECT person_id, person FROM wj_persons")}
        return {k: v if v is None else json.loads(v)["traits"].get("tier")
                for k, v in own.items()}, shared

    own, shared = stored()
    assert own == dict.fromkeys(["marks:p:1", "marks:q:1", "looks:p:1", "looks:q:1"])
    assert sorted(shared) == ["p", "q"]
    assert shared["p"]["traits"]["email"] == "p@example.org"
    assert rt.run_once() == 4  # marks sets the trait on its own copy; all wait an hour
    own, shared = stored()
    assert own == {"marks:p:1": "gold", "marks:q:1": "gold", "looks:p:1": None,
                   "looks:q:1": None}
    assert "tier" not in shared["q"]["traits"]
    # an import touched p: the new snapshot (with the trait, as the identify came back)
    assert rt.refresh([person("p", tier="gold", first_name="Pia")]) == 1
    own, shared = stored()
    assert own["marks:p:1"] is None
    assert own["marks:q:1"] == "gold"
    assert shared["p"]["traits"]["first_name"] == "Pia"
    clock.advance(3600)
    assert rt.run_once() == 4
    assert {k: v[2] for k, v in runs(rt).items()} == {
        "marks:p:1": "goal", "marks:q:1": "goal", "looks:p:1": "goal", "looks:q:1": "manual"}
