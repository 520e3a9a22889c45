"""The golden-file helper itself: compare, fail with a diff, write only when asked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from tests.snapshot import Snapshot, dumps, figure_data, normalise


def test_match_fail_and_update(tmp_path):
    update = Snapshot(tmp_path / "golden", update=True)
    update.assert_match({"b": [1.23456789, float("nan")], "a": "x"}, "case one")
    path = tmp_path / "golden" / "case-one.json"
    assert path.read_text(encoding="utf-8") == dumps({"a": "x", "b": [1.2346, None]})
    check = Snapshot(tmp_path / "golden", update=False)
    check.assert_match({"a": "x", "b": [1.234561, None]}, "case one")  # rounded alike
    changed = r'(?s)- "b": \[1\.2346, null\].*\+ "b": \[2, null\]'
    with pytest.raises(pytest.fail.Exception, match=changed):
        check.assert_match({"a": "x", "b": [2, None]}, "case one")
    with pytest.raises(pytest.fail.Exception, match="--snapshot-update"):
        check.assert_match({}, "missing")
    assert not (tmp_path / "golden" / "missing.json").exists()


def test_lists_are_capped_and_figures_reduced_to_their_data():
    assert '"... 5 more"' in dumps(list(range(30)))
    fig = go.Figure(go.Bar(x=pd.Series(["a", "b"]), y=np.array([0.5, 1 / 3]), name="n",
                           marker_color="#000000"))
    assert normalise(figure_data(fig)) == {
        "traces": [{"type": "bar", "name": "n", "x": ["a", "b"], "y": [0.5, 0.3333]}],
        "no_data": False}
