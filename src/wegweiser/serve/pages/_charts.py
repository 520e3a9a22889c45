"""Charts in a dashboard page: the figures come from :mod:`wegweiser.present.charts` (one
look with the report); this module only embeds them.

A chart goes into a page as a ``<div>`` plus its figure as JSON in a
``<script type="application/json">`` next to it; ``static/app.js`` draws it with the bundled
plotly.js (no inline script, so the page's Content-Security-Policy can forbid them).

>>> import plotly.graph_objects as go
>>> html = embed(go.Figure(go.Bar(x=[1], y=["</script>"])), "de")
>>> html.count("</script>"), 'class="chart"' in html  # the label cannot end the script
(1, True)
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from wegweiser.present.theme import styled

if TYPE_CHECKING:
    import plotly.graph_objects as go

_ids = itertools.count(1)


def embed(fig: go.Figure, lang: str, *, height: int | None = None, restyle: bool = True
          ) -> Markup:
    """The figure as HTML for a page (drawn by ``static/app.js``). ``restyle`` gives a
    figure made elsewhere the shared look (:func:`wegweiser.present.theme.styled`); the
    builders of :mod:`wegweiser.present.charts` have it already (``restyle=False``)."""
    if restyle:
        styled(fig, lang, height=height or 380)
    elif height is not None:
        fig.update_layout(height=height)
    fig.update_layout(paper_bgcolor="rgba(0,0,0,0)")  # the page's card shows through
    payload = fig.to_json().replace("</", "<\\/")
    chart_id = f"chart-{next(_ids)}"
    return Markup(
        f'<div class="chart" id="{chart_id}" role="img"></div>'
        f'<script type="application/json" data-chart="{escape(chart_id)}">{payload}</script>'
    )
