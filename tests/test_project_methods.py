"""Analyses as methods of Project: each equals Project.analyse with the same options, the
registry's methods carry the model's help and signature, unknown names stay errors."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import wegweiser
from tests.analysis.reference import frame_of, random_rows
from wegweiser.analysis.registry import analyses
from wegweiser.errors import InvalidInput


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    with wegweiser.Project.init(tmp_path_factory.mktemp("methods") / "p") as p:
        p.import_events(frame_of(random_rows(7, n=300, minutes=60 * 24 * 30)))
        yield p


def same(a, b) -> None:
    assert list(a.tables()) == list(b.tables())
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], check_exact=False, rtol=1e-12)
    assert a.params == b.params


@pytest.mark.parametrize(("call", "name", "options"), [
    (lambda p: p.funnel(["a", "order_completed"], window="2d"), "funnel",
     {"steps": ["a", "order_completed"], "window": "2d"}),
    (lambda p: p.retention(period="day", max_periods=5), "retention",
     {"period": "day", "max_periods": 5}),
    (lambda p: p.trends(period="week", by="channel"), "trends",
     {"period": "week", "by": "channel"}),
    (lambda p: p.kpis(last="10d", until="2026-03-25", compare_previous=True), "kpis",
     {"last": "10d", "until": "2026-03-25", "compare_previous": True}),
    (lambda p: p.stickiness(where=["device=mobile"]), "stickiness",
     {"where": ["device=mobile"]}),
    (lambda p: p.conversion(), "conversion", {}),
    (lambda p: p.paths(view="top", top=5), "paths", {"view": "top", "top": 5}),
    (lambda p: p.attribution(compare=True), "attribution", {"compare": True}),
    (lambda p: p.sessions(), "sessions", {}),  # from the registry, no method written
    (lambda p: p.dropoffs({"top": 3}), "dropoffs", {"top": 3}),
])
def test_a_method_equals_analyse(project, call, name, options):
    got = call(project)
    same(got, project.analyse(name, options))
    assert got.analysis == name


def test_every_analysis_is_a_method_with_its_help_and_fields(project):
    names = set(analyses())
    assert names <= set(dir(project))
    for name, spec in analyses().items():
        method = getattr(project, name)
        assert callable(method)
        if name in ("funnel", "retention", "trends", "kpis", "stickiness", "conversion",
                    "paths", "attribution"):
            continue  # written out, typed for IDEs
        assert method.__doc__ == spec.description
        fields = set(inspect.signature(method).parameters) - {"params"}
        assert fields == set(spec.params.model_fields)


def test_unknown_names_and_bad_options_are_errors(project):
    with pytest.raises(AttributeError, match="funnels"):
        project.funnels  # noqa: B018
    with pytest.raises(AttributeError):
        project._private_thing  # noqa: B018
    with pytest.raises(InvalidInput, match="period"):
        project.trends(period="year")
