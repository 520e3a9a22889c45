"""Roles and token scopes on every surface, through a real server: each (surface, caller)
pair is allowed or refused as the table below says -- refused with the error shape (JSON on
the API, the 403 page in German or English on the dashboard) -- and what was done or
refused is in the audit log. The delivery receipts route takes the collector's write key
instead (tested here on the same server: a second server costs ~16 s)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.serve.conftest import WRITE_KEY, LiveServer, start_server
from wegweiser import audit
from wegweiser.orchestrate.channels.email import message_id
from wegweiser.serve.auth import hash_key, hash_password

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

WELCOME = """
[entry]
kind = "event"
event = "signup"

[[steps]]
id = "mail"
type = "send"
channel = "email"
template = "hi"

[templates.hi.de]
subject = "Hallo"
text = "Hallo"

[templates.hi.en]
subject = "Hello"
text = "Hello"
"""
PASSWORD = "geheim-123"
USERS = {"ada": "admin", "al": "analyst", "vic": "viewer"}
TOKENS = {"read": "at_read_token", "write": "at_write_token", "admin": "at_admin_token"}
PERSON = "u_1"  # replaced by a real person id of the demo in the fixture

# (name, method, path, body, what it needs) -- independent of wegweiser.serve.access
API = [
    ("stats", "GET", "/api/v1/stats", None, "view"),
    ("person", "GET", "/api/v1/persons/{person}", None, "personal"),
    ("quarantine", "GET", "/api/v1/quarantine", None, "personal"),
    ("members", "GET", "/api/v1/segments/none/members", None, "personal"),
    ("annotation", "POST", "/api/v1/annotations", {}, "edit"),
    ("consent", "POST", "/api/v1/persons/nobody-here/consent",
     {"categories": {"Marketing": True}}, "edit"),
    ("drop", "POST", "/api/v1/quarantine/drop", {"ids": [-1]}, "admin"),
    ("audit", "GET", "/api/v1/audit", None, "admin"),
    ("pause", "POST", "/api/v1/journeys/no-such-journey/pause", None, "admin"),
    ("settle", "POST", "/api/v1/journeys/ledger/settle",
     {"keys": ["no-such-key"], "as": "sent", "reason": "checked"}, "admin"),
]
PAGES = [
    ("segments", "GET", "/segments", None, "view"),
    ("search", "GET", "/persons?q=zzz-nobody", None, "personal"),
    ("person", "GET", "/persons/{person}", None, "personal"),
    ("export", "GET", "/export/stats.json", None, "personal"),
    ("quality", "GET", "/data-quality", None, "personal"),
    ("settings", "GET", "/settings", None, "admin"),
    ("audit", "GET", "/audit", None, "admin"),
    ("segment-delete", "POST", "/segments/none/delete", {}, "edit"),
    ("phases", "POST", "/settings/phases", {}, "admin"),
    ("journey-pause", "POST", "/journeys/welcome/pause", {}, "admin"),
    ("journey-resume", "POST", "/journeys/welcome/resume", {}, "admin"),
    ("journey-settle", "POST", "/journeys/ledger/settle",
     {"key": "no-such-key", "decision": "failed", "reason": "checked"}, "admin"),
]
#: person ids in the send ledger of ``welcome`` (not in the store: the ledger is enough)
LEDGER_PERSONS = ("ledger-person-ann", "ledger-person-bob")
MAY = {  # who may do what, as docs/privacy.md says
    "admin": {"view", "personal", "edit", "admin"},
    "analyst": {"view", "edit"},
    "viewer": {"view"},
    "token:read": {"view", "personal"},
    "token:write": {"view", "personal", "edit"},
    "token:admin": {"view", "personal", "edit", "admin"},
}


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("roles")
    project = folder / "project"
    shutil.copytree(demo_template, project)
    (project / "journeys").mkdir(exist_ok=True)
    (project / "journeys" / "welcome.toml").write_text(WELCOME, encoding="utf-8")
    _seed(project)
    users = ",".join(f"{name}:{role}:{hash_password(PASSWORD, salt=b'fixed-test-salt!')}"
                     for name, role in USERS.items())
    tokens = ",".join([TOKENS["read"], f"write:{hash_key(TOKENS['write'])}",
                       f"admin:{TOKENS['admin']}"])
    live = start_server(project, folder / "server.log", WEGWEISER_USERS=users,
                        WEGWEISER_API_TOKENS=tokens, WEGWEISER_WRITE_KEYS=WRITE_KEY)
    yield live
    live.stop()


def _seed(project: Path) -> None:
    """Sends a crash left undecided (``unknown``) in the ledger of ``welcome``, and one
    person of the demo who withheld analytics consent in a project that requires it."""
    from wegweiser import Project
    from wegweiser.analysis.result import to_frame
    from wegweiser.orchestrate import ledger
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        for n, person in enumerate((*LEDGER_PERSONS, LEDGER_PERSONS[0])):
            run = f"welcome:{person}:{n}"
            intent = ledger.Intent(key=f"{run}|mail|email", run_id=run, journey="welcome",
                                   step="mail", channel="email", person_id=person)
            ledger.start(tx, intent, worker="w", lease_until=5.0, now=float(n + 1))
            ledger.recover(tx, intent.key, idempotent=False, now=100.0)
    with Project(project) as p:
        users = to_frame(p.identities().filter(lambda t: t.id_kind == "user")
                         .order_by("person_id").limit(2))  # the first is person_id's
        who = str(users["id"].iloc[1])
        p.set_consent(who, {"Analytics": False})
    config = project / "wegweiser.toml"
    config.write_text(config.read_text().replace(
        'consent_trait = "consent"', 'consent_trait = "consent"\nanalytics_consent = "required"'))
    (project / "withheld.txt").write_text(who)


@pytest.fixture(scope="module")
def person_id(demo_template: Path) -> str:
    from wegweiser import Project
    from wegweiser.analysis.result import to_frame

    with Project(demo_template) as project:
        ids = project.identities()
        return str(to_frame(ids.select("person_id").order_by("person_id").limit(1))
                   ["person_id"].iloc[0])


@pytest.fixture(scope="module")
def sessions(server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    clients = {}
    for name in USERS:
        client = httpx.Client(base_url=server.url, timeout=60)
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        done = client.post("/login", data={"csrf": csrf.group(1), "username": name,
                                           "password": PASSWORD, "next": "/"})
        assert done.status_code == 303, done.text
        clients[name] = client
    yield clients
    for client in clients.values():
        client.close()


def _csrf(client: httpx.Client) -> str:
    page = client.get("/segments")  # every role may see it; it carries the CSRF token
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def _refused(answer: httpx.Response, codes: tuple[str, ...]) -> None:
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    error = answer.json()["error"]
    assert error["status"] == 403
    assert error["code"] in codes, error
    assert "may not" in error["message"]


@pytest.mark.parametrize("caller", ["ada", "al", "vic", "read", "write", "admin"])
@pytest.mark.parametrize("case", API, ids=[c[0] for c in API])
def test_api(server, sessions, person_id, caller, case):
    _, method, path, body, needs = case
    path = path.format(person=person_id)
    if caller in USERS:
        client, role, headers = sessions[caller], USERS[caller], {}
    else:
        client, role = sessions["ada"], f"token:{caller}"  # a token counts before a session
        headers = {"Authorization": f"Bearer {TOKENS[caller]}"}
    answer = client.request(method, path, json=body, headers=headers)
    if needs in MAY[role]:
        assert answer.status_code not in (401, 403), (answer.status_code, answer.text[:300])
        assert answer.status_code < 500
    else:
        _refused(answer, ("forbidden_role",) if caller in USERS
                 else ("read_only_token", "forbidden_scope"))


@pytest.mark.parametrize("caller", ["ada", "al", "vic"])
@pytest.mark.parametrize("case", PAGES, ids=[c[0] for c in PAGES])
def test_pages(server, sessions, person_id, caller, case):
    _, method, path, body, needs = case
    client = sessions[caller]
    path = path.format(person=person_id)
    html = {"Accept": "text/html"}
    if method == "POST":
        answer = client.post(path, data={**(body or {}), "csrf": _csrf(client)}, headers=html,
                             params={"lang": "de"})
    else:
        answer = client.get(path, headers=html, params={"lang": "de"})
    if needs in MAY[USERS[caller]]:
        assert answer.status_code not in (401, 403), (answer.status_code, answer.text[:300])
        assert answer.status_code < 500
        return
    assert answer.status_code == 403
    assert "Ihre Rolle erlaubt diese Seite oder Aktion nicht" in answer.text
    assert "forbidden_role" in answer.text
    english = client.request(method, path, headers={"Accept": "text/html"},
                             params={"lang": "en"},
                             data={"csrf": _csrf(client)} if method == "POST" else None)
    assert english.status_code == 403
    assert "Your role does not allow this page or action" in english.text
    # the JSON error shape for a client that does not ask for a page
    _refused(client.request(method, path, data={"csrf": _csrf(client)}
                            if method == "POST" else None), ("forbidden_role",))


def test_navigation_shows_what_the_role_may_open(sessions):
    links = {name: set(re.findall(r'<a href="(/[a-z-]*)"', sessions[name].get("/segments").text))
             for name in USERS}
    assert {"/persons", "/settings", "/audit"} <= links["ada"]
    assert "/persons" not in links["al"]
    assert "/audit" not in links["al"]
    assert not {"/persons", "/data-quality", "/settings", "/audit"} & links["vic"]


def test_audit_log_on_every_face(server, sessions, person_id):
    ada = sessions["ada"]
    assert ada.get(f"/persons/{person_id}").status_code == 200
    api = httpx.get(server.url + f"/api/v1/persons/{person_id}", timeout=60,
                    headers={"Authorization": f"Bearer {TOKENS['read']}"})
    assert api.status_code == 200
    sessions["vic"].get("/audit")  # refused, and recorded
    entries = audit.read(server.project)
    views = [(e.actor, e.surface) for e in entries
             if e.action == "person_view" and e.target == person_id]
    assert ("ada", "dashboard") in views
    token_id = hash_key(TOKENS["read"])[len("sha256$"):][:12]
    assert (f"token:{token_id}", "api") in views
    assert {e.actor for e in entries if e.action == "login"} >= set(USERS)
    denied = [e for e in entries if e.action == "access_denied" and e.actor == "vic"]
    assert any(e.target == "/audit" and e.detail["needs"] == "admin" for e in denied)
    # no personal data beyond actor and target: details are short scalars only
    for e in entries:
        assert all(isinstance(v, str | int | float | bool | None) for v in e.detail.values())
    # the API (admins) and the page filter the same log
    listed = ada.get("/api/v1/audit", params={"action": "person_view", "actor": "ada"})
    assert listed.status_code == 200
    assert {e["target"] for e in listed.json()["entries"]} >= {person_id}
    assert all(e["action"] == "person_view" for e in listed.json()["entries"])
    bad = ada.get("/api/v1/audit", params={"action": "person_veiw"})
    assert bad.status_code == 400
    assert "did you mean 'person_view'" in bad.json()["error"]["message"]
    page = ada.get("/audit", params={"action": "login_failed"})
    assert page.status_code == 200
    assert 'data-testid="audit-filters"' in page.text
    # a failed log-in is recorded (with the name tried)
    fresh = httpx.Client(base_url=server.url, timeout=60)
    csrf = re.search(r'name="csrf" value="([^"]+)"', fresh.get("/login").text)
    assert csrf is not None
    fresh.post("/login", data={"csrf": csrf.group(1), "username": "ada", "password": "wrong!!!"})
    fresh.close()
    assert audit.read(server.project, action="login_failed", actor="ada")
    # journey changes: admins only, recorded
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    paused = httpx.post(server.url + "/api/v1/journeys/welcome/pause", headers=admin, timeout=60)
    assert paused.json() == {"journey": "welcome", "paused": True}, paused.text
    status = ada.get("/api/v1/journeys").json()["tables"]["journeys"]
    assert [r["paused"] for r in status if r["journey"] == "welcome"] == [True]
    typo = httpx.post(server.url + "/api/v1/journeys/welcom/pause", headers=admin, timeout=60)
    assert typo.status_code == 404
    assert "did you mean 'welcome'" in typo.json()["error"]["message"]
    assert audit.read(server.project, action="journey_pause", target="welcome")
    assert audit.read(server.project, action="token_admin")
    # the CLI reads it too
    done = subprocess.run([sys.executable, "-m", "wegweiser.cli", "audit", "--project",
                           str(server.project), "--action", "person_view", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert person_id in done.stdout
    assert "ada" in done.stdout


def test_journeys_page_shows_persons_and_buttons_by_role(server, sessions):
    """Person ids of the send ledger only for roles that may see personal data (the others
    see pseudonyms and no ledger download); pause/resume buttons only for admins."""
    seen: list[str] = []  # the ledger's persons in the admin's order
    for name in ("ada", "vic"):  # the admin first; an analyst sees what a viewer sees here
        role = USERS[name]
        page = sessions[name].get("/journeys", params={"lang": "en"})
        assert page.status_code == 200, page.text[:300]
        html = page.text
        unknown = html[html.index('data-testid="unknown"'):]
        unknown = unknown[:unknown.index("</table>")]
        if "personal" in MAY[role]:
            seen = re.findall(r"<td>(ledger-person-\w+)</td>", unknown)
            assert sorted(seen) == sorted([*LEDGER_PERSONS, LEDGER_PERSONS[0]])
            assert 'data-testid="csv-ledger"' in html
            assert 'data-testid="persons-hidden"' not in html
        else:
            assert not any(p in html for p in LEDGER_PERSONS)
            # one pseudonym per person, the same one for their second send
            number = {p: f"Person {n}" for n, p in enumerate(dict.fromkeys(seen), 1)}
            assert re.findall(r"<td>(Person \d)</td>", unknown) == [number[p] for p in seen]
            assert 'data-testid="csv-ledger"' not in html
            assert "your role may not see personal data" in html
        buttons = re.findall(r'data-testid="journey-(pause|resume)" data-journey="welcome"',
                             html)
        assert len(buttons) == (1 if role == "admin" else 0), (name, buttons)
    one = sessions["vic"].get("/journeys/welcome", params={"lang": "de"})
    assert one.status_code == 200
    assert not any(p in one.text for p in LEDGER_PERSONS)
    assert "Pseudonyme" in one.text


def test_admin_pauses_and_resumes_on_the_page(server, sessions):
    ada = sessions["ada"]
    for action, paused in (("pause", True), ("resume", False)):
        done = ada.post(f"/journeys/welcome/{action}", data={"csrf": _csrf(ada)})
        assert done.status_code == 303, done.text[:300]
        status = ada.get("/api/v1/journeys").json()["tables"]["journeys"]
        assert [r["paused"] for r in status if r["journey"] == "welcome"] == [paused]
        page = ada.get("/journeys", params={"lang": "de"}).text  # the flash, then the button
        assert ("pausiert" if paused else "fortgesetzt") in page
        assert f'data-testid="journey-{"resume" if paused else "pause"}"' in page
        entries = audit.read(server.project, action=f"journey_{action}", actor="ada")
        assert [e.surface for e in entries][-1:] == ["dashboard"]
    forged = ada.post("/journeys/welcome/pause", data={"csrf": "forged"})
    assert forged.status_code == 403


def test_admin_settles_unknown_messages_on_the_page_and_the_api(server, sessions):
    """The unknown list has the settle buttons (admins) and the command line to copy
    (roles that see persons); a button and the API settle a message, with who and why in
    the row and the audit log; a message that is not unknown is refused with its reason."""
    ada = sessions["ada"]
    first, second = (f"welcome:{LEDGER_PERSONS[0]}:0|mail|email",
                     f"welcome:{LEDGER_PERSONS[1]}:1|mail|email")
    html = ada.get("/journeys", params={"lang": "en"}).text
    assert len(re.findall(r'data-testid="settle-form"', html)) == 3
    assert re.findall(r'data-testid="settle-(sent|failed|resend)"', html)[:3] == [
        "sent", "failed", "resend"]
    command = re.search(r'data-testid="settle-command">([^<]*)</pre>', html)
    assert command is not None
    assert f"wegweiser journeys ledger settle '{first}'" in command.group(1).replace(
        "&#39;", "'")
    assert 'data-testid="settle-form"' not in sessions["al"].get("/journeys").text
    done = ada.post("/journeys/ledger/settle", data={
        "csrf": _csrf(ada), "key": first, "decision": "failed",
        "reason": "bounced in the MTA log"})
    assert done.status_code == 303, done.text[:300]
    page = ada.get("/journeys", params={"lang": "de"}).text
    assert f"Nachricht {first}: unknown → failed." in page
    assert len(re.findall(r'data-testid="settle-form"', page)) == 2
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    answer = httpx.post(server.url + "/api/v1/journeys/ledger/settle", headers=admin,
                        json={"keys": [second, first], "as": "sent", "reason": "in the log"},
                        timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(r["key"], r["before"], r["after"]) for r in body["settled"]] == [
        (second, "unknown", "sent")]
    assert [(r["key"], r["error"]) for r in body["rejected"]] == [
        (first, "the message is failed; only unknown messages are settled by hand")]
    rows = {r["key"]: r for r in ada.get("/api/v1/journeys/ledger").json()["tables"]["ledger"]}
    assert rows[first]["state"] == "failed"
    assert rows[first]["reason"].startswith("settled by hand as failed by ada at ")
    assert rows[second]["reason"].endswith(": in the log")
    entries = audit.read(server.project, action="journey_settle")
    assert [(e.actor.split(":")[0], e.target, e.surface, e.detail["decision"])
            for e in entries] == [("ada", first, "dashboard", "failed"),
                                  ("token", second, "api", "sent")]
    bad = httpx.post(server.url + "/api/v1/journeys/ledger/settle", headers=admin,
                     json={"keys": [second], "as": "maybe", "reason": "x"}, timeout=60)
    assert bad.status_code == 422


def test_withholders_person_page_says_so(server, sessions):
    """``analytics_consent = "required"``: the page of a person who withheld it says so (de,
    en) instead of showing their journey; the privacy buttons stay."""
    withheld = (server.project / "withheld.txt").read_text()
    ada = sessions["ada"]
    for lang, words in (("de", "Einwilligung in Analysen verweigert"),
                        ("en", "withheld analytics consent")):
        page = ada.get(f"/persons/{withheld}", params={"lang": lang})
        assert page.status_code == 200, page.text[:300]
        assert words in page.text
        assert 'data-testid="person-withheld"' in page.text
        assert 'data-testid="person-timeline"' not in page.text
        assert 'data-testid="privacy-export-json"' in page.text
    api = ada.get(f"/api/v1/persons/{withheld}").json()
    assert "withheld analytics consent" in api["notes"][0]
    assert api["tables"]["timeline"] == []
    assert api["tables"]["ids"]


MAIL, SMS = "receipts:p1:1|mail|email", "receipts:p2:1|text|sms"


def _seed_unknown(project: Path) -> None:
    from wegweiser.orchestrate import ledger
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        for key, channel in ((MAIL, "email"), (SMS, "sms")):
            run = key.split("|")[0]
            ledger.start(tx, ledger.Intent(key=key, run_id=run, journey="receipts",
                                           step=key.split("|")[1], channel=channel,
                                           person_id=run.split(":")[1]),
                         worker="dead", lease_until=5.0, now=1.0)
            ledger.recover(tx, key, idempotent=False, now=6.0)


def _states(project: Path) -> dict[str, str]:
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        return dict(tx.execute("SELECT key, state FROM wj_ledger WHERE journey = 'receipts'"))


def test_receipts_route_settles_the_ledger_and_answers_every_receipt(server):
    """``POST /v1/receipts`` takes the collector's write key (not a session or an API
    token), one receipt, a list or ``{"receipts": [...]}``, answers every receipt, and a
    repeat changes nothing."""
    _seed_unknown(server.project)
    url = server.url + "/v1/receipts"
    one = {"message_id": message_id(MAIL), "status": "delivered"}
    assert httpx.post(url, json=one, timeout=60).status_code == 401  # no write key
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    assert httpx.post(url, json=one, headers=admin, timeout=60).status_code == 401
    wrong = httpx.post(url, json=one, auth=("wk_wrong", ""), timeout=60)
    assert wrong.status_code == 401
    assert "Unknown write key" in wrong.json()["error"]["message"]
    assert _states(server.project) == {MAIL: "unknown", SMS: "unknown"}
    with httpx.Client(auth=(WRITE_KEY, ""), timeout=60) as http:
        bad = http.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400
        assert "not valid JSON" in bad.json()["error"]["message"]
        assert http.post(url, json={"receipts": "x"}).status_code == 400
        assert http.post(url, json=[1, 2] * 6_000).status_code == 400  # too many at once
        single = http.post(url, json=one).json()  # one receipt, as an object
        assert [(a["key"], a["before"], a["after"]) for a in single["applied"]] == [
            (MAIL, "unknown", "sent")]
        batch = http.post(url, json={"receipts": [
            {"key": SMS, "status": "failed", "reason": "unreachable", "at": 1_800_000_000},
            {"key": "j:p9:1|text|sms", "status": "delivered"},
            one,
        ]}).json()
        # written into the body instead of the header: the collector's other way
        keyed = httpx.post(url, json={"writeKey": WRITE_KEY, **one}, timeout=60)
    assert keyed.status_code == 200
    assert keyed.json()["applied"][0]["repeat"] is True
    assert batch["n_applied"] == 2
    assert batch["n_changed"] == 1
    assert [(a["index"], a["after"], a["repeat"]) for a in batch["applied"]] == [
        (0, "failed", False), (2, "sent", True)]
    assert batch["rejected"] == [{"index": 1, "error": "no message in the send ledger has "
                                  "the key 'j:p9:1|text|sms'; nothing was changed"}]
    assert _states(server.project) == {MAIL: "sent", SMS: "failed"}
    spec = httpx.get(server.url + "/api/openapi.json", timeout=60).json()
    assert "/v1/receipts" in spec["paths"]
