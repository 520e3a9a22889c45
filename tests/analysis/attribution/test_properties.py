"""Properties every attribution model must have, checked with hypothesis on random paths.

* **One channel per person**: when every path touches a single channel (any number of times),
  each channel gets exactly its own conversions and its own revenue.
* **Efficiency**: conversion credits add up to the total conversions, revenue credits to
  the total revenue, and no credit is negative.
* **Symmetry**: two channels that play interchangeable roles in the data (every path has its
  mirror image with the two channels swapped, with the same counts) get equal credit.

No model is exempt. ``Shapley(value="rate")`` (an opt-in coalition value) is not one of the
models as registered; it fails the first property by definition (its coalition values are
conversion *rates*, rescaled to conversions) and is checked separately below.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.attribution import MODELS, Paths, Shapley, make_model

CHANNELS = ("direct", "email", "search", "social", "store")


def models():
    for name in MODELS:
        params = {"weights": (0.5, 0.3, 0.2)} if name == "custom" else {}
        yield make_model(name, **params)


MODEL_IDS = [m.name for m in models()]

counts = st.integers(min_value=0, max_value=6)
money = st.floats(min_value=1.0, max_value=200.0, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def one_channel_log(draw):
    """Paths of persons who each touch one channel (repeats allowed), with counts."""
    rows = draw(st.lists(st.tuples(
        st.sampled_from(CHANNELS), st.integers(1, 4), counts, counts, money,
    ), min_size=1, max_size=12))
    touches, conv, nulls, value = [], [], [], []
    for channel, repeat, c, n, per_order in rows:
        touches.append([channel] * repeat)
        conv.append(c)
        nulls.append(n if c + n else 1)
        value.append(round(c * per_order, 2))
    return touches, conv, nulls, value


@st.composite
def mirrored_log(draw):
    """Random multi-channel paths plus each path's mirror with 'email' and 'search' swapped."""
    rows = draw(st.lists(st.tuples(
        st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=5), counts, counts, money,
    ), min_size=1, max_size=8))
    swap = {"email": "search", "search": "email"}
    touches, conv, nulls, value = [], [], [], []
    for path, c, n, per_order in rows:
        for p in (path, [swap.get(ch, ch) for ch in path]):
            touches.append(p)
            conv.append(c)
            nulls.append(n if c + n else 1)
            value.append(round(c * per_order, 2))
    return touches, conv, nulls, value


def _credits(model, touches, conv, nulls, value):
    paths = Paths.from_lists(touches, conversions=conv, nulls=nulls, value=value)
    return model.fit(paths).credits_.set_index("touchpoint")


@pytest.mark.parametrize("model", list(models()), ids=MODEL_IDS)
@settings(max_examples=60, deadline=None)
@given(log=one_channel_log())
def test_one_channel_per_person_gets_its_own_conversions(model, log):
    touches, conv, nulls, value = log
    credits = _credits(model, touches, conv, nulls, value)
    for channel in {p[0] for p in touches}:
        own = [i for i, p in enumerate(touches) if p[0] == channel]
        assert credits.loc[channel, "conversions"] == pytest.approx(
            sum(conv[i] for i in own), abs=1e-9), channel
        assert credits.loc[channel, "revenue"] == pytest.approx(
            sum(value[i] for i in own), abs=1e-6), channel


@pytest.mark.parametrize("model", list(models()), ids=MODEL_IDS)
@settings(max_examples=40, deadline=None)
@given(log=mirrored_log())
def test_credits_add_up_and_symmetric_channels_are_equal(model, log):
    touches, conv, nulls, value = log
    credits = _credits(model, touches, conv, nulls, value)
    assert credits.conversions.sum() == pytest.approx(sum(conv), abs=1e-9)
    assert credits.revenue.sum() == pytest.approx(sum(value), abs=1e-6)
    assert (credits.conversions >= -1e-12).all()
    assert (credits.revenue >= -1e-9).all()
    if "email" in credits.index:
        assert credits.loc["email", "conversions"] == pytest.approx(
            credits.loc["search", "conversions"], abs=1e-9)
        assert credits.loc["email", "revenue"] == pytest.approx(
            credits.loc["search", "revenue"], abs=1e-6)


def test_issue_example_one_channel_log():
    """The issue's log: direct 18, email 78 conversions, one channel per person."""
    touches = [["direct"], ["email"], ["search"], ["email", "email"]]
    conv, nulls, value = [18, 40, 25, 38], [300, 120, 80, 30], [900.0, 2000.0, 1250.0, 1900.0]
    credits = _credits(Shapley(), touches, conv, nulls, value)
    assert credits.loc["direct", "conversions"] == pytest.approx(18)
    assert credits.loc["email", "conversions"] == pytest.approx(78)
    assert credits.loc["email", "revenue"] == pytest.approx(3900.0)


def test_rate_value_fails_the_one_channel_property_and_says_when_it_clips():
    with pytest.warns(UserWarning, match="clipped"):
        credits = _credits(Shapley(value="rate"), [["direct"], ["email"]], [1, 9], [99, 1],
                           [10.0, 90.0])
    assert credits.loc["email", "conversions"] != pytest.approx(9)  # rates, rescaled
    with pytest.warns(UserWarning, match="clipped to 0 credit for a"):
        model = Shapley(value="rate").fit(Paths.from_lists(
            [["a"], ["b"], ["a", "b"]], conversions=[0, 5, 0], nulls=[10, 5, 10]))
    raw = model.shapley_values_.set_index("touchpoint")
    assert raw.loc["a", "shapley_value"] < 0
    assert bool(raw.loc["a", "clipped"])
    assert model.credits_.set_index("touchpoint").loc["a", "conversions"] == 0
