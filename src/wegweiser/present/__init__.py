"""The presentation layer: how results look and read, the same in every face.

Above :mod:`wegweiser.analysis`, below the faces (report, dashboard, CLI):

* :mod:`.theme` -- the one palette, font and :func:`~.theme.styled` look of every chart;
* :mod:`.i18n` -- the one translation catalogue (de/en) and the number, money, percent,
  date and duration formats;
* :mod:`.charts` -- every chart builder, and :func:`~.charts.render` for the charts an
  analysis declares in the registry.

JSON goes through the one serialiser, :func:`wegweiser.analysis.result.jsonable` (re-exported
here as :func:`jsonable` and :func:`table_records`).
"""

from __future__ import annotations

from wegweiser.analysis.result import jsonable, table_records

__all__ = ["jsonable", "table_records"]
