"""The journey's roll-ups give the same figures as the events they roll up: trends on random
logs with and without the person-days, the overview and the KPIs of a project with and
without the persons table, and the roll-ups follow new imports."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.reference import frame_of, random_rows
from tests.analysis.test_trends import _journey, rows_strategy
from wegweiser.analysis import rollups
from wegweiser.analysis.kpis import kpis
from wegweiser.analysis.overview import summarise
from wegweiser.analysis.trends import trends


def _same(a: pd.DataFrame | None, b: pd.DataFrame | None) -> None:
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@settings(max_examples=10, deadline=None)
@given(rows=rows_strategy, period=st.sampled_from(["day", "week", "month"]),
       by=st.sampled_from([None, "channel"]))
def test_trends_read_from_the_person_days_equal_trends_from_the_events(rows, period, by):
    journey = _journey(rows)
    days = rollups.build("person_days", journey, [])
    plain = trends(journey, period=period, by=by)
    rolled = trends(journey, period=period, by=by, person_days=days)
    for name in ("series", "active", "totals", "breakdown"):
        _same(getattr(plain, name), getattr(rolled, name))


@pytest.mark.parametrize("seed", [1, 2])
def test_overview_and_kpis_from_the_persons_table_equal_them_from_the_journey(tmp_path, seed):
    from wegweiser import Project

    rows = random_rows(seed, n=300, persons=25, minutes=60 * 24 * 20,
                       events=("page_viewed", "product_viewed", "add_to_cart",
                               "order_completed", "survey_answered"))
    with Project.init(tmp_path / "p") as project:
        project.import_events(frame_of(rows))
        journey, persons = project.journey(), project.rollup("persons")
        plain = summarise(journey, project.config)
        rolled = summarise(journey, project.config, persons=persons)
        assert plain.figures == rolled.figures
        _same(plain.phases, rolled.phases)
        assert plain.figures["persons"] == len({r.person for r in rows})
        _same(kpis(journey).kpis, kpis(journey, persons=persons).kpis)
        # the registry's runs read the roll-ups and agree with the functions
        _same(project.analyse("trends").series, trends(journey).series)


def test_the_roll_ups_follow_new_imports_and_are_materialised_once(tmp_path):
    from wegweiser import Project

    first, later = random_rows(4, n=120, persons=10), random_rows(5, n=80, persons=30)
    for i, r in enumerate(later):
        r.message_id = f"later{i}"
    with Project.init(tmp_path / "p") as project:
        project.import_events(frame_of(first))
        before = project.rollup("persons").count().to_pyarrow().as_py()
        days = project.rollup("person_days")
        assert "prev_day" in days.columns
        assert project.rollup("person_days").get_name() == days.get_name()  # no rebuild
        project.import_events(frame_of(later))
        after = project.rollup("persons").count().to_pyarrow().as_py()
    assert before == len({r.person for r in first})
    assert after == len({r.person for r in first + later})
    with pytest.raises(KeyError, match="no roll-up 'nope'"):
        rollups.build("nope", None, [])  # type: ignore[arg-type]
