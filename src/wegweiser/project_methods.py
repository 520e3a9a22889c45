"""Every registered analysis as a method of :class:`~wegweiser.project.Project` (internal).

In a notebook ``project.funnel(["add_to_cart", "order_completed"], window="7d")`` is
``project.analyse("funnel", steps=[...], window="7d")``: the same registry, the same
parameter model, the project's settings (phases, windows, costs, conversion events) and the
same result, which shows itself in Jupyter (tables and its declared charts,
:meth:`Result._repr_html_ <wegweiser.analysis.result.Result._repr_html_>`).

Two ways, on purpose:

* :meth:`AnalysisMethods.__getattr__` makes **every** analysis of the registry a method, new
  ones included, with its parameter model's docstring as help and a signature of its fields
  (what ``project.personas?`` and tab completion in Jupyter show): nothing to write when an
  analysis is added;
* the main analyses have **explicit thin methods** (:meth:`~AnalysisMethods.funnel`,
  :meth:`~AnalysisMethods.retention`, :meth:`~AnalysisMethods.trends`, ...) with typed
  results, because IDEs and type checkers read classes, not ``__getattr__``.

Both call :meth:`~wegweiser.project.Project.analyse`. With ``by_segment`` or
``compare_previous`` a result is :class:`~wegweiser.analysis.result.Tables` (the tables
with a ``segment`` column, or with ``comparison``), hence the unions.

>>> import tempfile, wegweiser
>>> from wegweiser.events.demo import generate
>>> project = wegweiser.Project.init(tempfile.mkdtemp() + "/shop")
>>> _ = project.import_events(generate(40, seed=1, days=20).events)
>>> weekly = project.retention(period="week")
>>> weekly.cohorts.equals(project.analyse("retention", period="week").cohorts)
True
>>> "<table" in weekly._repr_html_(), project.stickiness.__name__
(True, 'stickiness')
>>> project.close()
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from wegweiser.analysis.conversion import ConversionResult
    from wegweiser.analysis.funnels import FunnelResult
    from wegweiser.analysis.kpis import KpiResult
    from wegweiser.analysis.registry import Analysis
    from wegweiser.analysis.result import Result, Tables
    from wegweiser.analysis.retention import RetentionResult
    from wegweiser.analysis.stickiness import StickinessResult
    from wegweiser.analysis.trends import TrendsResult


def signature(spec: Analysis[Any]) -> inspect.Signature:
    """``(params=None, /, *, field=default, ...)``: the fields of the analysis's model."""
    fields = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                          default=None if info.is_required() or info.default_factory
                          else info.default, annotation=info.annotation)
        for name, info in spec.params.model_fields.items()
    ]
    first = inspect.Parameter("params", inspect.Parameter.POSITIONAL_ONLY, default=None)
    return inspect.Signature([first, *fields])


class AnalysisMethods:
    """Analyses as methods (see the module docstring); mixed into ``Project``."""

    def analyse(self, name: str, params: Any = None, /, **options: Any) -> Any:
        raise NotImplementedError  # Project's

    def __getattr__(self, name: str) -> Callable[..., Result]:
        if name.startswith("_"):
            raise AttributeError(name)
        from wegweiser.analysis.registry import analyses

        spec = analyses().get(name)
        if spec is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def method(params: Any = None, /, **options: Any) -> Result:
            result: Result = self.analyse(name, params, **options)
            return result

        method.__name__ = method.__qualname__ = name
        method.__doc__ = spec.description
        method.__signature__ = signature(spec)  # type: ignore[attr-defined]
        return method

    def __dir__(self) -> list[str]:
        from wegweiser.analysis.registry import analyses

        return sorted({*super().__dir__(), *analyses()})

    # -- the main analyses, typed for IDEs ---------------------------------------------------
    def funnel(self, steps: Sequence[str], /, **options: Any) -> FunnelResult | Tables:
        """The funnel through ``steps`` (``project.funnel?`` lists the options: window,
        mode, unit, breakdown, since/until/where/segment, ...)."""
        result: FunnelResult | Tables = self.analyse("funnel", steps=list(steps), **options)
        return result

    def retention(self, *, period: str = "week", **options: Any) -> RetentionResult | Tables:
        """Cohort retention per day, week or month (options: cohort, kind, return_event,
        max_periods, the scope)."""
        result: RetentionResult | Tables = self.analyse("retention", period=period, **options)
        return result

    def trends(self, *, period: str = "day", **options: Any) -> TrendsResult | Tables:
        """Events, persons, conversions, revenue and DAU/WAU/MAU per period (options:
        events, by, the scope, compare_previous)."""
        result: TrendsResult | Tables = self.analyse("trends", period=period, **options)
        return result

    def conversion(self, **options: Any) -> ConversionResult | Tables:
        """Conversion rate, time and touchpoints to convert (options: the model's)."""
        result: ConversionResult | Tables = self.analyse("conversion", **options)
        return result

    def kpis(self, **options: Any) -> KpiResult | Tables:
        """Repeat purchases, NPS and CSAT (options: the scope, compare_previous)."""
        result: KpiResult | Tables = self.analyse("kpis", **options)
        return result

    def stickiness(self, *, period: str = "week", **options: Any) -> StickinessResult | Tables:
        """Active days per person and week or month."""
        result: StickinessResult | Tables = self.analyse("stickiness", period=period,
                                                         **options)
        return result

    def paths(self, **options: Any) -> Result:
        """Transitions, top paths, flows, step matrix or matches (``view``)."""
        result: Result = self.analyse("paths", **options)
        return result

    def attribution(self, **options: Any) -> Result:
        """Credit per channel or campaign by model (``compare=True``: the models side by
        side)."""
        result: Result = self.analyse("attribution", **options)
        return result
