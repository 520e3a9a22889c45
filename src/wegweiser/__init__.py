"""Wegweiser: customer journeys from touchpoint events.

>>> import wegweiser
>>> project = wegweiser.Project.init("shop")            # doctest: +SKIP
>>> project.import_events("events.parquet")             # doctest: +SKIP

``import wegweiser`` is cheap: :class:`Project`, the configuration and the import summary
load on first use (module ``__getattr__``), so the command line starts without Ibis, pandas
or DuckDB; the errors are plain classes and load at once. The first of those uses also
installs the notebook view of results (:mod:`wegweiser.present.notebook`).

Privacy requests (docs/privacy.md) are functions of :mod:`wegweiser.privacy`, not methods of
:class:`Project`: they reach the journeys' state and the spool too, which a project does not
hold. Each takes the open project, any id of the person (or their e-mail address) and who
asked::

    >>> from wegweiser.privacy import erase_person, export_person   # doctest: +SKIP
    >>> export_person(project, "ana@example.org", actor="notebook:ana").to_json()  # doctest: +SKIP
    >>> erase_person(project, "ana@example.org", actor="notebook:ana")  # doctest: +SKIP

Also ``anonymise_person``, ``erase_batch``, ``apply_retention`` and ``erasure_records``
(``help(wegweiser.privacy)``); consent is ``Project.set_consent``.
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
