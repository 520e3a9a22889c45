"""The funnel's tables from its unit rows: percentiles as the engine computes them."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis._funnel_tables import BINS, histogram, quantile_cont


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1e7, allow_nan=False), max_size=30),
       st.sampled_from([0.0, 0.25, 0.5, 0.75, 0.9, 1.0]))
def test_quantile_cont_is_the_engines_percentile_cont(values, q):
    con = duckdb.connect()
    con.execute("CREATE TABLE v (x DOUBLE)")
    if values:
        con.executemany("INSERT INTO v VALUES (?)", [[x] for x in values])
    (engine,) = con.execute("SELECT quantile_cont(x, ?) FROM v", [q]).fetchone()
    ours = quantile_cont(np.array([*values, np.nan], dtype="float64"), q)  # NaN = NULL
    if engine is None:
        assert np.isnan(ours)
    else:
        # the same interpolation; the engine's last bit may differ (its arithmetic order)
        assert math.isclose(ours, engine, rel_tol=1e-15, abs_tol=1e-9)


def test_histogram_bins_are_closed_below_open_above():
    import pandas as pd

    edges = [0.0, 59.999, 60.0, 299.0, 300.0, 30 * 86400.0, None]
    frame = pd.DataFrame({"seconds": pd.array(edges, dtype="Float64")})
    h = histogram(frame).set_index("bin")["units"]
    assert h.to_dict() == {name: {"<1m": 2, "1-5m": 2, "5-15m": 1, ">=30d": 1}.get(name, 0)
                           for name, _, _ in BINS}
    with pytest.raises(KeyError):
        histogram(pd.DataFrame({"other": [1.0]}))
