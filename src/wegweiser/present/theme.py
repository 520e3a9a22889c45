"""The one look of every chart: palette, font and :func:`styled`, for the report and the
dashboard alike.

>>> import plotly.graph_objects as go
>>> fig = styled(go.Figure(go.Bar(x=["a"], y=[1])), "de", height=300)
>>> fig.layout.separators, fig.layout.height, fig.layout.colorway[0] == PALETTE[0]
(',.', 300, True)
>>> rgba(PALETTE[0], 0.5)
'rgba(31,95,153,0.5)'
>>> wrap("ad_click > landing_page_view > product_view", 20)
'ad_click ><br>landing_page_view ><br>product_view'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.present.i18n import separators, t

if TYPE_CHECKING:
    from collections.abc import Sequence

    import plotly.graph_objects as go

#: the colours of every chart: a calm blue first; phases take them in configured order
PALETTE = ("#1f5f99", "#2a9d8f", "#e9a23b", "#c8553d", "#7b5ea7", "#5c946e", "#3d8fd1",
           "#b56576", "#8d99ae", "#6d597a")
INK, GRID, MUTED = "#1d2733", "#e4e8ee", "#6b7785"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
#: the colour of a lost unit or an error (drop-offs, quarantine)
LOSS = PALETTE[3]
#: the colour of lumped-together rest categories ("(other)")
REST = PALETTE[8]


def styled(fig: go.Figure, lang: str, *, height: int = 380, **layout: Any) -> go.Figure:
    """The shared look: white plot, system font, the palette, the language's separators;
    ``layout`` overrides (margins, axes...). Returns ``fig``."""
    base: dict[str, Any] = {  # no Plotly template: cheaper, and small JSON per figure
        "template": "none", "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "separators": separators(lang), "height": height,
        "font": {"family": FONT, "size": 13, "color": INK}, "colorway": list(PALETTE),
        "margin": {"l": 60, "r": 24, "t": 24, "b": 48}, "hoverlabel": {"font_family": FONT},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    }
    fig.update_layout(**{**base, **layout})
    axes = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True}
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    return fig


def no_data(fig: go.Figure, lang: str, *, height: int = 200) -> go.Figure:
    """``fig`` (without traces) as an explicit "no data" figure: one centred note, no axes.
    Never draw an empty chart silently."""
    fig.add_annotation(text=t("chart.no_data", lang), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper", font={"size": 15, "color": MUTED})
    return styled(fig, lang, height=height, xaxis={"visible": False},
                  yaxis={"visible": False}, meta={"no_data": True})


def colour(i: int) -> str:
    """The ``i``-th palette colour (cycling)."""
    return PALETTE[i % len(PALETTE)]


def phase_colours(phases: Sequence[str]) -> dict[str, str]:
    """One palette colour per phase, in the given (configured) order."""
    return {name: colour(i) for i, name in enumerate(phases)}


def rgba(hex_colour: str, alpha: float) -> str:
    """``#rrggbb`` with transparency ``alpha`` as CSS ``rgba()``."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def wrap(text: str, width: int, *, sep: str = " ") -> str:
    """Break a long label at ``sep`` into lines (``<br>``) of about ``width`` characters;
    a line ends with the separator's mark (an arrow stays at the end of its line)."""
    lines, line = [], ""
    for part in text.split(sep):
        piece = part if not line else f"{line}{sep}{part}"
        if line and len(piece) > width:
            lines.append(line + sep.rstrip())
            line = part
        else:
            line = piece
    lines.append(line)
    return "<br>".join(lines)
