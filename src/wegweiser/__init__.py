"""Wegweiser: customer journeys from touchpoint events.

>>> import wegweiser
>>> project = wegweiser.Project.init("shop")            # doctest: +SKIP
>>> project.import_events("events.parquet")             # doctest: +SKIP

``import wegweiser`` is cheap: :class:`Project`, the configuration and the import summary
load on first use (module ``__getattr__``), so the command line starts without Ibis, pandas
or DuckDB; the errors are plain classes and load at once. The first of those uses also
installs the notebook view of results (:mod:`wegweiser.present.notebook`).
"""

from __future__ import annotations

import importlib
import typing

from wegweiser.errors import (
    InvalidConfig,
    InvalidEvent,
    InvalidInput,
    MissingDependency,
    NotFittedError,
    ProjectError,
    UnreadableSource,
    WegweiserError,
)

if typing.TYPE_CHECKING:
    from wegweiser.config import Config, load_config
    from wegweiser.events.ingest import ImportSummary
    from wegweiser.project import Project, open_project

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ImportSummary",
    "InvalidConfig",
    "InvalidEvent",
    "InvalidInput",
    "MissingDependency",
    "NotFittedError",
    "Project",
    "ProjectError",
    "UnreadableSource",
    "WegweiserError",
    "__version__",
    "load_config",
    "open_project",
]

#: the names that load on first use, and their modules
_LAZY = {
    "Config": "wegweiser.config",
    "load_config": "wegweiser.config",
    "ImportSummary": "wegweiser.events.ingest",
    "Project": "wegweiser.project",
    "open_project": "wegweiser.project",
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wegweiser' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute
    from wegweiser.present import notebook

    notebook.install()  # results show their charts and tables in Jupyter (pandas is loaded now)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
