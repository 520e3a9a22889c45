from __future__ import annotations

from wegweiser.config import default_config
from wegweiser.orchestrate.loading import load_journeys
from wegweiser.orchestrate.samples import write_samples


def test_the_sample_journey_is_valid_for_the_default_phases(tmp_path):
    assert write_samples(tmp_path)
    assert not write_samples(tmp_path)  # never overwrites
    journeys, delivery = load_journeys(tmp_path / "journeys",
                                       phases=default_config().phase_names)
    assert [j.name for j in journeys] == ["consideration_reminder"]
    assert delivery.quiet_hours is not None
    assert [c.max for c in delivery.caps] == [3, 1]
