from __future__ import annotations

import pytest

from wegweiser.config import DEFAULT_TOML, default_config, parse_config
from wegweiser.errors import InvalidConfig


def test_defaults_have_six_phases_and_channel_rules():
    config = default_config()
    assert config.phase_names == ["Awareness", "Consideration", "Preference", "Purchase",
                                  "After-Sale", "Loyalty/Advocacy"]
    assert len({r.channel for r in config.channels}) >= 15
    assert config.conversion_events == ["order_completed", "store_purchase"]
    assert config.engine.memory_limit == "4GB"


def test_partial_file_keeps_default_phases():
    config = parse_config('name = "shop"\n[windows]\nsession_gap_minutes = 15\n')
    assert config.windows.session_gap_minutes == 15
    assert len(config.phases) == 6


@pytest.mark.parametrize(("text", "message"), [
    ("[windows]\nsession_gap_minutes = 0", "windows.session_gap_minutes"),
    ('[[channels]]\nchannel = "x"\nmedium = "("', "invalid regular expression"),
    ('[[phases]]\nname = "A"\n[[phases]]\nname = "A"', "phase names must be unique"),
    ("name = ", "not valid TOML"),
    ('[engine]\nmemory_limit = "lots"', "memory_limit must look like"),
    ('[engine]\nkind = "sparky"', "engine.kind"),
    ('[engine]\nspark_master = "local"\nspark_remote = "sc://h"', "not both"),
    ("unknown_key = 1", "unknown_key"),
])
def test_bad_config_names_the_problem(text, message):
    with pytest.raises(InvalidConfig, match=message):
        parse_config(text)


def test_default_toml_parses_to_the_same_as_no_file():
    assert parse_config(DEFAULT_TOML) == parse_config("")
