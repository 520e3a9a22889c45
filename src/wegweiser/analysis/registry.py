"""The analysis registry: every analysis declared once, shown by every face.

An analysis module declares one :class:`Analysis` at module level, named ``ANALYSIS``::

    ANALYSIS = Analysis(
        name="stickiness",
        params=StickinessParams,           # Pydantic: defaults, help, validation
        compute=compute,                   # (Inputs, params) -> Result, pure over Ibis tables
        title=Words("Stickiness", "Stickiness"),
        summary=Words("Active days per person and period", "Aktive Tage je Person und Zeitraum"),
        views={"distribution": "distribution", "summary": "summary"},
        charts=(Chart("bar", table="distribution", x="days", y="persons"),),
    )

The faces iterate over :func:`analyses`: the CLI makes one command per analysis with one
option per parameter (``commands/_analyses.py``), the query API one route with the model as
its body, the dashboard one page with a form, the report one section (``report=True``). None
of them names an analysis's options. Modules are found by walking :mod:`wegweiser.analysis`
(public modules and packages only), so adding an analysis is one new module and its test.

Compute functions get :class:`Inputs`, which :class:`wegweiser.project.Project` provides: the
analysis layer never imports the project or the store.

>>> Words("Stickiness", "Stickiness")("de"), Chart("bar", "t", x="a", y=("b", "c")).ys
('Stickiness', ('b', 'c'))
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis.result import Result
    from wegweiser.analysis.segments import Segment
    from wegweiser.config import Config

P = TypeVar("P", bound=BaseModel)


class Inputs(Protocol):
    """What a compute function may read (a :class:`~wegweiser.project.Project` is one)."""

    @property
    def config(self) -> Config: ...

    def journey(self) -> ir.Table:
        """The journey table (see :mod:`wegweiser.analysis.journeys`)."""
        ...

    def costs(self) -> ir.Table | None:
        """Spend per date/channel/campaign on the analyses' engine, or None without costs."""
        ...

    def traits(self, key: str) -> ir.Table:
        """``(person_id, value)``: each person's latest ``identify`` trait ``key``."""
        ...

    def persona_memory(self) -> dict[str, Any] | None:
        """The remembered persona ids, names and centroids (see
        :mod:`wegweiser.analysis._persona_memory`), or None."""
        ...

    def remember_personas(self, memory: dict[str, Any]) -> None:
        """Keep ``memory`` for the next persona fit."""
        ...

    def segment(self, name: str) -> Segment:
        """The saved segment ``name`` (:class:`InvalidInput` when there is none)."""
        ...


@dataclass(frozen=True)
class Words:
    """A text in English and German."""

    en: str
    de: str

    def __call__(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


@dataclass(frozen=True)
class Chart:
    """A chart of one result table, declared as data and drawn by :mod:`wegweiser.present`.

    ``kind``: ``bar`` (vertical), ``hbar`` (horizontal, categories on y), ``line``,
    ``heatmap`` (``x`` by ``y`` coloured by ``value``), ``funnel`` or ``scatter`` (a point
    per row at numbers ``x`` and ``y``, labelled by ``value``, with the means as a
    crosshair). ``y`` may name several
    columns (one trace each); ``color`` splits one column into traces. ``format`` is how the
    values read: ``number``, ``percent`` (shares 0..1), ``seconds`` or ``money``.
    ``marks`` names a table of dated marks (columns ``date``, ``text``), drawn as dotted
    vertical lines with their text on a chart with dates on ``x`` (e.g. annotations).
    """

    kind: Literal["bar", "hbar", "line", "heatmap", "funnel", "scatter"]
    table: str
    x: str
    y: str | tuple[str, ...]
    color: str | None = None
    value: str | None = None
    format: Literal["number", "percent", "seconds", "money"] = "number"
    title: Words | None = None
    marks: str | None = None

    @property
    def ys(self) -> tuple[str, ...]:
        return (self.y,) if isinstance(self.y, str) else self.y


@dataclass(frozen=True)
class Analysis(Generic[P]):
    """One analysis: its parameters, its computation and how it is shown.

    ``views`` name the tables a person picks from (CLI ``--view``; the first is the default);
    ``view_of`` picks the view for given parameters when they decide it (e.g. a funnel
    with ``dropped`` shows the dropped units). ``report`` puts a section with the default
    parameters into the report. ``path``/``method`` are its HTTP route under ``/api/v1``.
    ``group`` puts it under a command group: ``group="predict"`` makes ``clv`` the command
    ``wegweiser predict clv`` (not ``wegweiser clv``) and its default route
    ``/api/v1/predict/clv``; the dashboard page stays ``/analyses/<name>``.
    ``standalone`` says for which parameters it needs no project (e.g. attribution of a
    path table file): the CLI then runs it with the default settings. ``check`` refuses
    combinations of parameters (:class:`InvalidInput`) before any data is read.

    ``scope`` (default on) gives it the common parameters of :mod:`wegweiser.analysis.scope`
    (date range, ``where``, ``segment``, ``by_segment``): its model gains the fields unless
    it derives from :class:`~wegweiser.analysis.scope.Scope` already, and it runs on the
    scoped journey. ``compare`` = ``(table, key columns)`` adds ``compare_previous`` and the
    table ``comparison``. ``step_filters``: it reads ``stepN:`` conditions of ``where``
    itself (funnels); elsewhere they are refused. ``renumber`` (default on): after a range
    or an event filter, ``seq``, ``next_event`` and ``next_timestamp`` are recomputed over
    the kept events; an analysis that reads ``seq`` only as an order (not ``seq + 1``) and
    no ``next_*`` may turn it off (a window pass over the whole filtered journey).
    ``selective``: its compute function reads :func:`wanted` (the tables a face shows, from
    :meth:`run`'s ``tables``) and may compute only those, leaving its other table fields
    None; without it every table is computed and the face picks.
    """

    name: str
    params: type[P]
    compute: Callable[[Inputs, P], Result]
    title: Words
    summary: Words
    views: Mapping[str, str] = field(default_factory=dict)
    view_of: Callable[[P], str | None] | None = None
    charts: tuple[Chart, ...] = ()
    report: bool = False
    path: str = ""
    method: Literal["GET", "POST"] = "POST"
    standalone: Callable[[P], bool] | None = None
    check: Callable[[P], None] | None = None
    scope: bool = True
    compare: tuple[str, tuple[str, ...]] | None = None
    step_filters: bool = False
    renumber: bool = True
    group: str = ""
    selective: bool = False

    def __post_init__(self) -> None:
        if not self.path:
            prefix = f"/{self.group}" if self.group else ""
            object.__setattr__(self, "path", f"{prefix}/{self.name.replace('_', '-')}")
        if self.scope:
            from wegweiser.analysis import _scoped_run

            _scoped_run.install(self)

    @property
    def description(self) -> str:
        """The long help: the parameter model's docstring (definitions), else the summary."""
        doc = inspect.getdoc(self.params)
        return doc if doc and doc != inspect.getdoc(BaseModel) else self.summary.en

    def validate(self, params: BaseModel | Mapping[str, Any] | None) -> P:
        """``params`` as this analysis's model; bad values raise :class:`InvalidInput`."""
        if isinstance(params, self.params):
            checked = params
        elif params is not None and not isinstance(params, Mapping):
            raise InvalidInput(
                f"{self.name} takes {self.params.__name__}, not {type(params).__name__}"
            )
        else:
            try:
                checked = self.params.model_validate(dict(params or {}))
            except ValidationError as exc:
                raise InvalidInput(f"{self.name}: {describe(exc)}") from None
        if self.check is not None:
            self.check(checked)
        return checked

    def run(
        self, inputs: Inputs, params: BaseModel | Mapping[str, Any] | None = None, *,
        tables: Collection[str] | None = None,
    ) -> Result:
        """Compute with validated ``params``; the result's ``params`` are the effective ones
        (the request's with defaults, plus what the analysis reports about itself).
        ``tables``: the tables the caller shows (None: all); a ``selective`` analysis may
        compute only those."""
        from wegweiser.analysis.result import jsonable

        checked = self.validate(params)
        with asking(self.wanted_tables(tables)):
            result = self.compute(inputs, checked)
        effective = {**checked.model_dump(mode="json", by_alias=True), **jsonable(result.params)}
        out = dataclasses.replace(result, params=effective)
        object.__setattr__(out, "_analysis", self.name)  # not a field: Result.analysis
        return out


    def wanted_tables(self, tables: Collection[str] | None) -> frozenset[str] | None:
        """What :func:`wanted` says while it computes for a caller showing ``tables``: None
        (all) unless it is ``selective``; the table ``compare_previous`` compares is kept."""
        if tables is None or not self.selective:
            return None
        return frozenset(tables) | ({self.compare[0]} if self.compare else set())


_WANTED: ContextVar[frozenset[str] | None] = ContextVar("wanted_tables", default=None)


def wanted() -> frozenset[str] | None:
    """The names of the tables the running analysis is asked for (None: all of them); set
    by :meth:`Analysis.run` for a ``selective`` analysis."""
    return _WANTED.get()


@contextmanager
def asking(tables: frozenset[str] | None) -> Iterator[None]:
    """:func:`wanted` says ``tables`` inside the block (per thread and task)."""
    token = _WANTED.set(tables)
    try:
        yield
    finally:
        _WANTED.reset(token)


def describe(exc: ValidationError) -> str:
    """A validation error as one line: ``field: message; field: message``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'params'}: "
        f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
    )


_REGISTRY: dict[str, Analysis[Any]] = {}


def analyses() -> dict[str, Analysis[Any]]:
    """Every registered analysis by name, in a stable order (modules sorted by name)."""
    if not _REGISTRY:
        _discover()
    return dict(_REGISTRY)


def get(name: str) -> Analysis[Any]:
    """The analysis ``name``; an unknown name raises :class:`InvalidInput` with a hint.

    Only its module is imported while the generated index is current (a command line runs
    one analysis: :mod:`wegweiser.analysis._catalog`), else every module."""
    if not _REGISTRY:
        spec = _indexed(name)
        if spec is not None:
            return spec
    found = analyses()
    if name in found:
        return found[name]
    close = difflib.get_close_matches(name, list(found), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InvalidInput(f"unknown analysis {name!r}; use one of {', '.join(found)}.{hint}")


def run(
    inputs: Inputs, name: str, params: BaseModel | Mapping[str, Any] | None = None, *,
    tables: Collection[str] | None = None,
) -> Result:
    """Run analysis ``name`` on ``inputs`` (a project) with ``params`` (its model, a mapping
    of its fields, or None for the defaults); ``tables``: see :meth:`Analysis.run`."""
    return get(name).run(inputs, params, tables=tables)


def _indexed(name: str) -> Analysis[Any] | None:
    """``name`` from its module as the index names it (None: not indexed, or the index is
    stale about it)."""
    from wegweiser.analysis import _catalog

    entry = (_catalog.entries() or {}).get(name)
    if entry is None:
        return None
    # every Analysis() installs the scope through _scoped_run: load it first, whichever
    # analysis is asked for, so that an import cycle through it (a helper of _scoped_run
    # importing an analysis module) fails every time, in the tests, not for some names only
    importlib.import_module("wegweiser.analysis._scoped_run")
    spec = getattr(importlib.import_module(entry.module), "ANALYSIS", None)
    return spec if isinstance(spec, Analysis) and spec.name == name else None


def _discover() -> None:
    import wegweiser.analysis as package

    found: list[Analysis[Any]] = []
    for info in sorted(pkgutil.walk_packages(package.__path__, package.__name__ + "."),
                       key=lambda m: m.name):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        spec = getattr(module, "ANALYSIS", None)
        if isinstance(spec, Analysis):
            found.append(spec)
    for spec in sorted(found, key=lambda a: a.name):
        if spec.name in _REGISTRY:
            raise RuntimeError(f"two analyses are called {spec.name!r}")
        _REGISTRY[spec.name] = spec
