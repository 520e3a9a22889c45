from __future__ import annotations

import json
import re

import httpx
import pytest

import wegweiser
from tests.orchestrate.sinks import SmtpSink
from tests.serve.conftest import start_server
from wegweiser.orchestrate.tracking import Tracked, check_token, make_token, track_html
from wegweiser.orchestrate.unsubscribe import make_token as unsubscribe_token

DEAL = "https://shop.example/deal?code=REMIND10&u=u1"

WELCOME = """\
[entry]
kind = "event"
event = "signup"

[[steps]]
id = "hello"
type = "send"
channel = "email"
template = "hello"
variant = "B"

[templates.hello.de]
subject = "Willkommen"
text = "Hallo, {{ links.unsubscribe }}"
html = \"\"\"<html><body><p>Hallo {{ traits.first_name }}</p>
<p><a href="https://shop.example/deal?code=REMIND10&u={{ person.person_id }}">Angebot</a>
<a href='mailto:hilfe@shop.example'>Hilfe</a>
<a href="{{ links.unsubscribe }}">Abmelden</a></p></body></html>\"\"\"
[templates.hello.en]
subject = "Welcome"
text = "Hello"
"""


def test_a_token_names_its_message_and_link_and_nothing_else():
    click = Tracked("click", "j:p1:1|s|email", "p1", "A", DEAL)
    token = make_token("key", click)
    assert check_token("key", token) == click
    assert check_token("other key", token) is None  # another project's key
    assert check_token("key", token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")) is None
    assert check_token("key", unsubscribe_token("key", "p1", "email")) is None  # other salt
    opened = Tracked("open", "j:p1:1|s|email", "p1", "A")
    assert check_token("key", make_token("key", opened)) == opened
    with pytest.raises(ValueError, match="only http"):
        make_token("key", Tracked("click", "k", "p1", "A", "javascript:alert(1)"))


def test_html_links_are_tracked_but_mailto_and_the_kept_ones_not():
    body = ('<p><a class="x" href="https://a.example/?q=1&amp;r=2">a</a> '
            "<A HREF='http://b.example'>b</A> <a href=\"mailto:x@y\">m</a> "
            '<a href="https://keep.example/u/1">u</a></p></body>')
    out = track_html(body, click=lambda url: f"https://t.example/c/{len(url)}",
                     pixel="https://t.example/o/1", keep=frozenset({"https://keep.example/u/1"}))
    assert re.findall(r"""href=["']([^"']+)""", out, re.I) == [
        "https://t.example/c/26", "https://t.example/c/16", "mailto:x@y",  # unescaped: 26
        "https://keep.example/u/1"]
    assert out.endswith('style="border:0;width:1px;height:1px"></body>')
    assert track_html(body, click=None, pixel=None) == body


@pytest.fixture
def shop(tmp_path):
    with SmtpSink() as smtp:
        wegweiser.Project.init(tmp_path / "shop").close()
        folder = tmp_path / "shop" / "journeys"
        folder.mkdir()
        (folder / "welcome.toml").write_text(WELCOME, encoding="utf-8")
        server = start_server(tmp_path / "shop", tmp_path / "server.log")
        try:
            (folder / "_delivery.toml").write_text(
                f'open_url = "{server.url}/o/{{token}}"\n'
                f'click_url = "{server.url}/c/{{token}}"\n'
                f'unsubscribe_url = "{server.url}/u/{{token}}"\n'
                f"[email]\nport = {smtp.port}\n", encoding="utf-8")
            yield tmp_path / "shop", smtp, server
        finally:
            server.stop()


def _work(project, runtime):
    from wegweiser.orchestrate.operations import flush_outbox
    from wegweiser.orchestrate.triggers import process_imports

    with wegweiser.open_project(project) as proj:
        process_imports(proj, runtime)
    while runtime.run_once():
        pass
    with wegweiser.open_project(project) as proj:
        return flush_outbox(proj, runtime.store)


def _events(project, name):
    with wegweiser.open_project(project) as proj:
        rows = proj._engine.execute(
            "SELECT user_id, channel, properties FROM events WHERE event = $e "
            "ORDER BY timestamp, message_id", {"e": name}).rows
    return [(u, c, json.loads(p)) for u, c, p in rows]


def test_opens_and_clicks_come_back_as_events_through_a_real_server(tmp_path, shop):
    from wegweiser.orchestrate.assembly import open_runtime

    project, smtp, server = shop
    runtime = open_runtime(project)
    try:
        assert _work(project, runtime) == 0  # the baseline
        rows = [
            {"type": "identify", "messageId": "i1", "userId": "u1", "timestamp":
             "2026-06-01T09:00:00Z", "traits": {"email": "u1@example.org",
                                                "email_opt_in": True, "first_name": "Uta"}},
            {"type": "track", "messageId": "t1", "userId": "u1", "event": "signup",
             "timestamp": "2026-06-01T09:01:00Z"},
        ]
        path = tmp_path / "e.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        with wegweiser.open_project(project) as proj:
            proj.import_events(path)
        assert _work(project, runtime) == 1  # message_sent
        (mail,) = smtp.messages
        html = mail.get_body(("html",)).get_content()
        hrefs = re.findall(r"""href=["']([^"']+)""", html)
        assert [h.split("/")[3] if h.startswith(server.url) else h for h in hrefs] == [
            "c", "mailto:hilfe@shop.example", "u"]
        assert "shop.example/deal" not in html  # the link itself is only inside the token
        (pixel,) = re.findall(r'<img src="([^"]+)"', html)
        assert pixel.startswith(f"{server.url}/o/")
        click = hrefs[0].replace("&amp;", "&")
        unsubscribe = hrefs[2].replace("&amp;", "&")

        with httpx.Client(timeout=60, follow_redirects=False) as http:
            for _ in range(2):  # a reloaded pixel: counted once
                got = http.get(pixel)
                assert got.status_code == 200
                assert got.headers["content-type"] == "image/gif"
                gif = got.content  # a GIF89a, 1 x 1 pixels, complete (ends with ";")
                assert (gif[:6], gif[6:10], gif[-1:]) == (b"GIF89a", b"\1\0\1\0", b";")
                assert "no-store" in got.headers["cache-control"]
            for _ in range(2):  # each click is one event
                got = http.get(click)
                assert got.status_code == 302
                assert got.headers["location"] == DEAL
            token = click.rsplit("/", 1)[1]
            evil = make_token("not the project's key",
                              Tracked("click", "welcome:u1:1|hello|email", "u1", "B",
                                      "https://evil.example/"))
            unsub_token = unsubscribe.rsplit("/", 1)[1]
            pixel_token = pixel.rsplit("/", 1)[1]
            for bad in (f"/c/{token[:20]}x{token[21:]}", f"/c/{evil}", f"/c/{unsub_token}",
                        f"/c/{pixel_token}", f"/o/{token}", f"/o/{evil}", "/c/nothing"):
                got = http.get(server.url + bad)
                assert got.status_code == 404, bad
                assert "location" not in got.headers
        assert _work(project, runtime) == 3  # one opening, two clicks
        opened = _events(project, "message_opened")
        clicked = _events(project, "message_clicked")
        tags = {"journey": "welcome", "step": "hello", "variant": "B", "channel": "email",
                "ledger_key": "welcome:u1:1|hello|email"}
        assert opened == [("u1", "email", {**tags, "by": "pixel"})]
        assert clicked == [("u1", "email", {**tags, "url": DEAL})] * 2
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert http.get(pixel).status_code == 200  # opened again, later: still once
            (steps,) = http.get("/api/v1/journeys/steps").json()["tables"]["steps"]
            page = http.get("/journeys", params={"lang": "de"}).text
        assert steps == {"journey": "welcome", "step": "hello", "channel": "email",
                         "variant": "B", "sent": 1, "opened": 1, "clicked": 1, "clicks": 2,
                         "open_rate": 1.0, "click_rate": 1.0}
        assert "Nachrichten je Schritt: geöffnet und geklickt" in page
        row = re.search(r'data-testid="steps">.*?<tbody>\s*<tr>(.*?)</tr>', page, re.S).group(1)
        assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == [
            "welcome", "hello", "email", "B", "1", "1", "1", "2", "100,0\xa0%", "100,0\xa0%"]
        _work(project, runtime)
        assert len(_events(project, "message_opened")) == 1
        with wegweiser.open_project(project) as proj:  # funnels see them
            funnel = proj.analyse(
                "funnel", steps=["message_sent", "message_opened", "message_clicked"])
        frame = funnel.tables()[next(iter(funnel.tables()))]
        assert frame["units"].tolist() == [1, 1, 1]
    finally:
        runtime.close()


def test_opens_count_once_per_message_and_clicks_each_on_both_databases(state_url):
    from wegweiser.orchestrate import ledger
    from wegweiser.orchestrate.state import open_state
    from wegweiser.orchestrate.tracking import per_step, record

    with open_state(state_url) as store:
        for n, state in enumerate(("sent", "sent", "failed")):
            intent = ledger.Intent(key=f"j:p{n}:1|s|email", run_id=f"j:p{n}:1", journey="j",
                                   step="s", channel="email", person_id=f"p{n}", variant="A")
            with store.transaction() as tx:
                attempt = ledger.start(tx, intent, worker="w", lease_until=9e9, now=1.0)
                ledger.finish(tx, intent.key, worker="w", attempt=attempt, state=state,
                              reason=None, now=2.0)
        opened = Tracked("open", "j:p0:1|s|email", "p0", "A")
        assert record(store, opened, now=3.0)
        assert record(store, opened, now=4.0)  # counted, but once
        click = Tracked("click", "j:p1:1|s|email", "p1", "A", DEAL)
        assert record(store, click, now=5.0)
        assert record(store, click, now=6.0)
        assert not record(store, Tracked("open", "j:p2:1|s|email", "p2", "A"), now=7.0)
        assert not record(store, Tracked("open", "j:p0:1|s|email", "p9", "A"), now=7.0)
        assert per_step(store) == [{
            "journey": "j", "step": "s", "channel": "email", "variant": "A", "sent": 2,
            "opened": 2, "clicked": 1, "clicks": 2, "open_rate": 1.0, "click_rate": 0.5}]
        with store.transaction() as tx:
            events = [json.loads(e)["event"] for (e,) in tx.execute(
                "SELECT event FROM wj_outbox ORDER BY created_at, message_id")]
    assert sorted(events) == ["message_clicked", "message_clicked", "message_opened",
                              "message_opened"]
