"""The readout table: control choice, corrections, decisions and guardrails."""

from __future__ import annotations

import pytest

from wegweiser.analysis.experiments.moments import Moments
from wegweiser.analysis.experiments.readout import pick_control, readout, sums_frame
from wegweiser.errors import InvalidInput


def _sums(conv: dict[str, int], n: int = 5000) -> object:
    return sums_frame(
        {
            v: {
                "conversion": Moments(n, k, k),
                "touchpoints_to_convert": Moments(n, 4.0 * k, 20.0 * k, k, k, 4.0 * k),
            }
            for v, k in conv.items()
        }
    )


def test_control_is_found_by_name_or_given():
    assert pick_control(["b", "Control", "a"]) == "Control"
    assert pick_control(["x", "y"]) == "x"
    with pytest.raises(InvalidInput, match="not found"):
        pick_control(["x", "y"], "z")


def test_decisions_and_holm_across_variants():
    table = readout(_sums({"control": 500, "b": 650, "c": 510}), metrics=["conversion"])
    by = table.set_index("variant")
    assert by.loc["b", "decision"] == "better"
    assert by.loc["c", "decision"] == "inconclusive"
    assert (table["p_adjusted"] >= table["p_value"]).all()
    assert by.loc["b", "seq_low"] < by.loc["b", "ci_low"]  # the always-valid one is wider
    assert by.loc["b", "chance_to_beat"] > 0.99


def test_a_breached_guardrail_is_flagged():
    table = readout(
        _sums({"control": 600, "t": 450}),
        metrics=["touchpoints_to_convert"],
        guardrails=["conversion"],
    )
    g = table.set_index("metric").loc["conversion"]
    assert bool(g["guardrail"])
    assert g["decision"] == "worse"
    assert bool(g["guardrail_breached"])


def test_bad_readouts_are_refused():
    with pytest.raises(InvalidInput, match="unknown metric"):
        readout(_sums({"control": 1, "t": 2}), metrics=["clicks"])
    with pytest.raises(InvalidInput, match="at least two variants"):
        readout(_sums({"control": 1}), metrics=["conversion"])
