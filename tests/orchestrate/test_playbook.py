from __future__ import annotations

import tomllib

import pytest

import wegweiser
from wegweiser.config import load_config
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.definitions import SendStep, WebhookStep
from wegweiser.orchestrate.loading import load_journeys
from wegweiser.orchestrate.playbook import PHASES, playbook_files, write_playbook
from wegweiser.orchestrate.samples import write_samples


@pytest.fixture
def folder(tmp_path):
    wegweiser.Project.init(tmp_path / "shop").close()
    return tmp_path / "shop"


def test_the_playbook_has_one_valid_journey_per_phase_in_german_and_english(folder):
    written = write_playbook(folder)
    assert sorted(p.name for p in written) == sorted(
        [*(f"{n}.toml" for n in PHASES), "_delivery.toml"])
    phases = load_config(folder).phase_names
    journeys, delivery = load_journeys(folder / "journeys", phases=phases)
    by_name = {j.name: j for j in journeys}
    assert set(by_name) == set(PHASES)
    assert sorted(PHASES.values()) == sorted(phases)  # every phase of the default model
    assert "ad_audience" in delivery.webhooks
    for name, journey in by_name.items():
        sends = [s for s in journey.steps if isinstance(s, SendStep)]
        assert bool(sends) == (name != "awareness"), name  # Awareness only observes
        for step in sends:
            assert set(journey.templates[step.template]) == {"de", "en"}
    assert by_name["consideration"].exit.goal == ["order_completed"]
    assert any(isinstance(s, WebhookStep) and s.endpoint == "ad_audience"
               for s in by_name["preference"].steps)
    assert [s.id for s in by_name["after_sale"].steps if isinstance(s, SendStep)
            and s.send_at == "best_time"] == ["review_request"]
    purchase = by_name["purchase"]
    assert "order_shipped" in purchase.event_names()
    assert "tracking_number" in purchase.templates["tracking"]["en"].text
    assert by_name["loyalty"].entry.reentry_days == 60


def test_the_playbook_never_overwrites_without_force(folder):
    write_playbook(folder)
    mine = folder / "journeys" / "purchase.toml"
    mine.write_text(mine.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"already has .*purchase\.toml.*--force"):
        write_playbook(folder)
    assert mine.read_text(encoding="utf-8").endswith("# my edit\n")
    write_playbook(folder, force=True)
    assert mine.read_text(encoding="utf-8") == playbook_files()["purchase.toml"]


def test_existing_delivery_settings_are_kept_and_get_the_audience_webhook(folder):
    write_samples(folder)  # the sample journey and delivery settings, without webhooks
    delivery = folder / "journeys" / "_delivery.toml"
    before = delivery.read_text(encoding="utf-8")
    written = write_playbook(folder)
    assert delivery in written
    after = delivery.read_text(encoding="utf-8")
    assert after.startswith(before)
    assert tomllib.loads(after)["webhooks"]["ad_audience"]["url"].startswith("https://")
    write_playbook(folder, force=True)  # no second copy of the table
    assert delivery.read_text(encoding="utf-8") == after
    journeys, _ = load_journeys(folder / "journeys", phases=load_config(folder).phase_names)
    assert len(journeys) == len(PHASES) + 1  # the sample stays


def test_the_playbook_is_package_data_of_the_wheel():
    import importlib.resources

    files = {p.name for p in importlib.resources.files(
        "wegweiser.orchestrate.playbook").iterdir()}
    assert {f"{n}.toml" for n in PHASES} <= files
    assert all(text.startswith("# Playbook") for text in playbook_files().values())


def test_the_cli_writes_the_playbook_and_dry_runs_it(folder, tmp_path, monkeypatch, capsys):
    import json
    from datetime import timedelta

    from tests.orchestrate.test_commands import wegweiser_cli
    from tests.orchestrate.test_simulate import T0, _identify, _import, _track

    p = ("--project", str(folder))
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "init", "--playbook", *p)
    assert code == 0
    assert f"{len(PHASES)} journeys valid." in out
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "init", "--playbook", *p)
    assert code == 2
    assert "--force" in err
    with wegweiser.open_project(folder) as project:
        _import(project, [
            _identify("a", T0, email="a@example.org", email_opt_in=True, timezone="UTC"),
            _track("a", "order_completed", T0 + timedelta(hours=12)),
            _track("z", "blog_view", T0 + timedelta(days=2)),
        ], tmp_path / "e.jsonl")
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "simulate", "--days", "2",
                                 "-f", "json", *p)
    assert code == 0
    rows = {(r["journey"], r["step"]): r for r in json.loads(out)}
    # thank you at once (12:00 UTC is outside the quiet hours); no shipping in 2 days
    assert rows[("purchase", "thank_you")]["messages"] == 1
    assert ("purchase", "tracking") not in rows
    assert not (folder / "journeys.sqlite").exists()  # the real state was never opened
