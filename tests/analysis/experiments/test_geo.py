"""The geo holdout readout: daily sums against pandas, the demo's planted holdout found
again (incremental conversions and revenue inside their intervals), spend and iROAS from
the project's costs, errors, and one run through the command line."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wegweiser
from wegweiser.analysis.experiments.geo import daily, geo_readout, region_of
from wegweiser.demo_run import write_geo_definition
from wegweiser.errors import InvalidInput
from wegweiser.events.demo import generate

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    data = generate(2500, seed=3, days=90, geo_holdout=True)
    folder = tmp_path_factory.mktemp("geo")
    with wegweiser.Project.init(folder) as project:
        project.import_events(data.events)
        project.replace_costs(data.costs)
    return {"truth": data.truth["geo_holdout"], "folder": folder, "costs": data.costs}


@pytest.fixture
def project(shop):
    with wegweiser.open_project(shop["folder"]) as proj:
        yield proj


event = st.tuples(
    st.integers(0, 9 * 24 * 60),  # minutes after T0
    st.sampled_from(["AT", "CH", "DE", "GB", None]),
    st.booleans(),
    st.one_of(st.none(), st.floats(0, 500, allow_nan=False)),
)


@settings(max_examples=15, deadline=None)
@given(rows=st.lists(event, max_size=60))
def test_daily_sums_match_pandas(rows):
    frame = pd.DataFrame({
        "person_id": [f"p{i}" for i in range(len(rows))],
        "timestamp": pd.Series([T0 + dt.timedelta(minutes=r[0]) for r in rows],
                               dtype="datetime64[us, UTC]"),
        "country": pd.Series([r[1] for r in rows], dtype=object),
        "is_conversion": pd.Series([r[2] for r in rows], dtype=bool),
        "revenue": pd.Series([r[3] for r in rows], dtype="float64"),
        "properties": ["{}"] * len(rows),
    })
    journey = region_of(ibis.memtable(frame), "country")
    first, last = dt.date(2026, 3, 2), dt.date(2026, 3, 8)
    got = daily(journey, holdout=["AT", "CH"], controls=None, first=first, last=last)
    conv = frame[frame["is_conversion"] & frame["country"].notna()].copy()
    conv["day"] = conv["timestamp"].dt.date
    conv = conv[(conv["day"] >= first) & (conv["day"] < last)]
    conv["group"] = conv["country"].map(lambda c: "holdout" if c in ("AT", "CH") else "control")
    for (group, day), part in conv.groupby(["group", "day"]):
        n = (day - dt.date(1970, 1, 1)).days
        row = got[(got["group"] == group) & (got["day"] == n)].iloc[0]
        assert row["conversions"] == len(part)
        assert row["revenue"] == pytest.approx(part["revenue"].fillna(0).sum())
    assert len(got) == 2 * (last - first).days
    assert got["conversions"].sum() == len(conv)


def test_the_readout_covers_the_planted_holdout(project, shop):
    truth = shop["truth"]
    r = geo_readout(
        project.journey(),
        channel=truth["channel"],
        holdout=truth["holdout"],
        start=dt.date.fromisoformat(truth["start"]),
        end=dt.date.fromisoformat(truth["end"]),
        costs=project.costs(),
        models=("last_touch",),
    )
    s = r.summary.set_index("metric")
    conv, rev = s.loc["conversions"], s.loc["revenue"]
    assert truth["lost_orders"] > 0
    assert conv["low"] <= truth["lost_orders"] <= conv["high"], conv.to_dict()
    assert rev["low"] <= truth["lost_revenue"] <= rev["high"], rev.to_dict()
    assert conv["test_days"] == 28
    assert conv["pre_days"] == 56
    assert conv["incremental"] == pytest.approx(conv["holdout_expected"] - conv["holdout_observed"])
    # the test days' observed conversions are the holdout countries' conversion events
    journey = project.journey()
    t = journey.filter(
        journey.is_conversion
        & journey.country.isin(truth["holdout"])
        & (journey.timestamp >= pd.Timestamp(truth["start"], tz="UTC").to_pydatetime())
        & (journey.timestamp < pd.Timestamp(truth["end"], tz="UTC").to_pydatetime())
    )
    assert conv["holdout_observed"] == t.count().to_pyarrow().as_py()
    # spend from the costs of the test days; iROAS is incremental revenue where on / spend
    costs = shop["costs"].to_pandas()
    days = (costs["date"] >= dt.date.fromisoformat(truth["start"])) & (
        costs["date"] < dt.date.fromisoformat(truth["end"])
    )
    spent = costs[days & (costs["channel"] == "video")]["cost"].sum()
    roas = r.roas.iloc[0]
    assert roas["spend"] == pytest.approx(spent)
    assert roas["iroas"] == pytest.approx(rev["incremental_where_on"] / spent)
    assert rev["incremental_where_on"] == pytest.approx(rev["lift"] * rev["control_observed"])
    att = r.attribution.iloc[0]
    assert att["model"] == "last_touch"
    assert att["credited_conversions"] > 0
    days_table = r.by_day
    assert (days_table["period"] == "test").sum() == 28
    assert r.cumulative["cumulative"].iloc[-1] == pytest.approx(conv["incremental"])
    assert len(r.cumulative) == 28
    assert (r.cumulative["cumulative_low"] <= r.cumulative["cumulative"]).all()


def test_errors_name_the_problem(project, shop):
    truth = shop["truth"]
    start = dt.date.fromisoformat(truth["start"])
    end = dt.date.fromisoformat(truth["end"])
    journey = project.journey()
    with pytest.raises(InvalidInput, match="Did you mean 'AT'"):
        geo_readout(journey, channel="video", holdout=["ATT"], start=start, end=end)
    with pytest.raises(InvalidInput, match="both holdout and control"):
        geo_readout(journey, channel="video", holdout=["AT"], controls=["AT", "DE"],
                    start=start, end=end)
    with pytest.raises(InvalidInput, match="must end after it starts"):
        geo_readout(journey, channel="video", holdout=["AT"], start=end, end=start)
    with pytest.raises(InvalidInput, match="lies after the data"):
        geo_readout(journey, channel="video", holdout=["AT"], start=dt.date(2027, 1, 1),
                    end=dt.date(2027, 2, 1))
    with pytest.raises(InvalidInput, match="needs days before the test"):
        geo_readout(journey, channel="video", holdout=["AT"], start=dt.date(2020, 1, 1),
                    end=end)
    with pytest.raises(InvalidInput, match="needs days before the test"):
        geo_readout(journey, channel="video", holdout=["AT"], start=dt.date.min, end=end)
    with pytest.raises(InvalidInput, match="lies after the data"):
        geo_readout(journey, channel="video", holdout=["AT"], start=dt.date(9999, 12, 30),
                    end=dt.date.max)
    with pytest.raises(InvalidInput, match="is not a region"):
        geo_readout(journey, channel="video", holdout=["AT"], geo="revenue", start=start,
                    end=end)


def test_a_test_past_the_data_is_read_out_up_to_their_end_and_says_so(project, shop):
    start = dt.date.fromisoformat(shop["truth"]["start"])
    r = geo_readout(project.journey(), channel="video", holdout=["AT", "CH"], start=start,
                    end=dt.date(2027, 1, 1), models=("last_touch",))
    keys = dict(r.notes)
    assert keys["geo_cut"]["last"] == "2026-10-31"
    assert r.summary.loc[0, "test_days"] == keys["geo_cut"]["days"] == 35


def test_a_definition_file_gives_the_options(project, shop, tmp_path):
    truth = shop["truth"]
    path = tmp_path / "video_off.toml"
    path.write_text(
        f'channel = "video"\nholdout = ["AT", "CH"]\nstart = {truth["start"]}\n'
        f'end = {truth["end"]}\npre_days = 28\n', encoding="utf-8")
    from_file = project.analyse("experiment_geo", definition=str(path), pre_days=35)
    direct = project.analyse("experiment_geo", channel="video", holdout=["AT", "CH"],
                             start=truth["start"], end=truth["end"], pre_days=35)
    pd.testing.assert_frame_equal(from_file.summary, direct.summary)
    assert from_file.summary.loc[0, "pre_days"] == 35  # the option wins over the file
    written = write_geo_definition(tmp_path / "experiments", truth)  # as `wegweiser demo` does
    demo = project.analyse("experiment_geo", definition=str(written))
    pd.testing.assert_frame_equal(
        demo.summary,
        project.analyse("experiment_geo", channel="video", holdout=["AT", "CH"],
                        start=truth["start"], end=truth["end"]).summary,
    )
    path.write_text('channel = "video"\nregions = ["AT"]\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown key"):
        project.analyse("experiment_geo", definition=str(path))
    path.write_text('channel = "video"\nholdout = ["AT"]\nstart = "soon"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="start"):
        project.analyse("experiment_geo", definition=str(path))


def test_without_a_definition_the_readout_says_what_to_give(project):
    r = project.analyse("experiment_geo")
    assert r.summary.empty
    assert r.notes == (("geo_undefined", {}),)


@pytest.mark.slow
def test_from_the_command_line(shop):
    truth = shop["truth"]
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "experiment-geo", "-p", str(shop["folder"]),
         "--channel", "video", "--holdout", "AT,CH", "--start", truth["start"],
         "--end", truth["end"], "--view", "roas", "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert rows[0]["touchpoint"] == "video"
    assert rows[0]["spend"] > 0
