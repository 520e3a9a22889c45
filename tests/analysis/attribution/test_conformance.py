"""One conformance test over every model: the estimator contract and shared guarantees."""

from __future__ import annotations

import pytest

from tests.analysis.attribution._ref import make
from wegweiser.analysis.attribution import MODELS, NotFittedError, Paths, make_model


def models():
    for name in MODELS:
        params = {"weights": (0.5, 0.3, 0.2)} if name == "custom" else {}
        yield make_model(name, **params)


@pytest.mark.parametrize("model", list(models()), ids=lambda m: m.name)
def test_estimator_contract(model):
    params = model.get_params()
    assert "random_state" in params
    assert not [k for k in vars(model) if k.endswith("_")]  # __init__ only stores params
    with pytest.raises(NotFittedError):
        _ = model.credits_
    clone = type(model)(**params)
    assert clone.get_params() == params

    paths, (_t, c, _n, v, _) = make(3, n=40)
    assert model.fit(paths) is model
    credits = model.credits_
    assert list(credits.columns[:6]) == ["touchpoint", "channel", "campaign", "conversions",
                                         "revenue", "share"]
    assert credits.conversions.sum() == pytest.approx(sum(c))
    assert credits.revenue.sum() == pytest.approx(sum(v))
    assert (credits.conversions >= -1e-12).all()
    assert model.n_conversions_ == sum(c)

    again = clone.fit(paths).credits_
    assert again.equals(credits)  # deterministic

    boot = type(model)(**{**params, "n_bootstrap": 20, "random_state": 4}).fit(paths).credits_
    assert (boot.conversions_low <= boot.conversions_high + 1e-9).all()
    same = type(model)(**{**params, "n_bootstrap": 20, "random_state": 4}).fit(paths).credits_
    assert boot.equals(same)

    empty = Paths.from_lists([], conversions=[])
    assert type(model)(**params).fit(empty).credits_.empty


def test_unknown_model_and_parameter():
    from wegweiser.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown attribution model"):
        make_model("nope")
    with pytest.raises(InvalidInput, match="no parameter"):
        make_model("markov", orde=2)
