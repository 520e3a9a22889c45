from __future__ import annotations

from pathlib import Path

import pytest

from wegweiser.config import default_config
from wegweiser.orchestrate.definitions import RandomStep, SendStep, WaitStep
from wegweiser.orchestrate.errors import InvalidJourney
from wegweiser.orchestrate.loading import load_delivery, load_journey, load_journeys

SAMPLE = Path(__file__).with_name("sample_journey.toml")
PHASES = default_config().phase_names
DELIVERY = """\
[webhooks.crm]
url = "http://127.0.0.1:9/hook"
secret_env = "CRM_SECRET"
"""


def _folder(tmp_path: Path, journey: str, delivery: str = DELIVERY) -> Path:
    (tmp_path / "_delivery.toml").write_text(delivery, encoding="utf-8")
    (tmp_path / "reminder.toml").write_text(journey, encoding="utf-8")
    return tmp_path


def _problems(tmp_path: Path, text: str) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(InvalidJourney) as info:
        load_journeys(_folder(tmp_path, text), phases=PHASES)
    return [(Path(p).name, line, field, msg) for p, line, field, msg in info.value.problems]


def test_the_sample_journey_loads(tmp_path):
    journeys, delivery = load_journeys(_folder(tmp_path, SAMPLE.read_text()), phases=PHASES)
    (journey,) = journeys
    assert journey.name == "reminder"
    assert journey.entry.phase == "Consideration"
    assert isinstance(journey.step("settle"), WaitStep)
    assert journey.step("settle").duration.total_seconds() == 86400  # type: ignore[union-attr]
    assert isinstance(journey.step("ab"), RandomStep)
    assert isinstance(journey.step("reminder"), SendStep)
    assert journey.following("reminder") == "wait_cart"
    assert journey.following("reminder_b") == "wait_cart"
    assert journey.following("done") is None
    assert "add_to_cart" in journey.event_names()
    assert "order_completed" in journey.event_names()
    assert delivery.webhooks["crm"].secret_env == "CRM_SECRET"


def test_a_misspelt_field_names_file_line_and_field(tmp_path):
    text = SAMPLE.read_text().replace('duration = "1d"', 'duraton = "1d"')
    problems = _problems(tmp_path, text)
    assert ("reminder.toml", 20, "steps.0.duraton",
            "unknown field (a typo? see docs/journeys.md for the fields of this part)") in problems


def test_a_wrong_value_says_what_is_allowed(tmp_path):
    text = SAMPLE.read_text().replace('channel = "email"', 'channel = "fax"', 1)
    (problem,) = _problems(tmp_path, text)
    assert problem[1] == 44
    assert problem[2] == "steps.4.channel"
    assert "'email', 'sms', 'push' or 'webpush'" in problem[3]
    assert "'fax'" in problem[3]


def test_a_bad_duration_is_explained(tmp_path):
    text = SAMPLE.read_text().replace('duration = "1d"', 'duration = "one day"')
    (problem,) = _problems(tmp_path, text)
    assert problem[1:3] == (20, "steps.0.duration")
    assert "write it like 30m, 1h30m, 2d or 45s" in problem[3]


def test_references_are_checked_with_a_suggestion(tmp_path):
    text = SAMPLE.read_text().replace('on_timeout = "nudge"', 'on_timeout = "nudg"')
    problems = _problems(tmp_path, text)
    assert ("reminder.toml", 61, "steps.6.on_timeout",
            "no step 'nudg'. Did you mean 'nudge'?") in problems


def test_unknown_phase_endpoint_and_missing_language(tmp_path):
    text = (SAMPLE.read_text().replace('phase = "Consideration"', 'phase = "Considering"')
            .replace('endpoint = "crm"', 'endpoint = "cmr"'))
    text = text[: text.index("[templates.reminder.en]")]
    problems = _problems(tmp_path, text)
    fields = {p[2]: p for p in problems}
    assert fields["entry.phase"][1] == 8
    assert "allowed: Awareness, Consideration" in fields["entry.phase"][3]
    assert fields["steps.8.endpoint"][3].endswith("Did you mean 'crm'?")
    assert "missing: en" in fields["templates.reminder"][3]


def test_a_template_syntax_error_points_at_its_line(tmp_path):
    text = SAMPLE.read_text().replace("Ihr Gutschein gilt", "Ihr {% if %} Gutschein gilt")
    (problem,) = _problems(tmp_path, text)
    assert problem[2] == "templates.reminder.de.text"
    assert problem[1] == 83
    assert problem[3].startswith("template error:")


def test_unreachable_steps_and_broken_toml(tmp_path):
    text = SAMPLE.read_text().replace(
        "[templates.reminder.de]",
        '[[steps]]\nid = "end"\ntype = "exit"\n\n[[steps]]\nid = "orphan"\ntype = "emit"\n'
        'event = "x"\n\n[templates.reminder.de]')
    (problem,) = _problems(tmp_path, text)
    assert problem[1:] == (85, "steps.11.id", "step 'orphan' can never be reached from the "
                           "first step")
    (bad,) = _problems(tmp_path, "[entry\nkind = 1\n")
    assert bad[1] == 1
    assert "not valid TOML" in bad[3]


def test_one_bad_file_stops_all_and_every_problem_is_listed(tmp_path):
    folder = _folder(tmp_path, SAMPLE.read_text())
    (folder / "other.toml").write_text('[entry]\nkind = "event"\n[[steps]]\nid = "x"\n'
                                       'type = "wait"\n', encoding="utf-8")
    with pytest.raises(InvalidJourney) as info:
        load_journeys(folder, phases=PHASES)
    message = str(info.value)
    assert "other.toml:1: entry: entry kind 'event' needs event" in message
    assert "other.toml:3: steps.0: a wait has exactly one of" in message
    assert "Nothing runs until this is fixed" in message


def test_delivery_settings_are_validated(tmp_path):
    (tmp_path / "_delivery.toml").write_text(
        'default_timezone = "Mars/Olympus"\n[[caps]]\nmax = 2\nper = "rolling"\n',
        encoding="utf-8")
    with pytest.raises(InvalidJourney) as info:
        load_delivery(tmp_path)
    problems = {p[2]: p for p in info.value.problems}
    assert problems["default_timezone"][1] == 1
    assert "unknown time zone 'Mars/Olympus'" in problems["default_timezone"][3]
    assert problems["caps.0"][1] == 2
    assert "needs a window" in problems["caps.0"][3]


def test_a_secret_cannot_be_written_in_a_journey(tmp_path):
    text = SAMPLE.read_text().replace('endpoint = "crm"', 'endpoint = "crm"\nsecret = "s3cr3t"')
    (problem,) = _problems(tmp_path, text)
    assert problem[2] == "steps.8.secret"
    assert "unknown field" in problem[3]


def test_load_journey_alone_without_project_checks(tmp_path):
    journey = load_journey(SAMPLE)
    assert journey.name == "sample_journey"
    assert journey.holdout == 0.1
