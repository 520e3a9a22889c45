"""Wegweiser: customer journeys from touchpoint events.

>>> import wegweiser
>>> project = wegweiser.Project.init("shop")            # doctest: +SKIP
>>> project.import_events("events.parquet")             # doctest: +SKIP
"""

from __future__ import annotations

from wegweiser.config import Config, load_config
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
from wegweiser.events.ingest import ImportSummary
from wegweiser.present import notebook as _notebook
from wegweiser.project import Project, open_project

_notebook.install()  # results show their charts and tables in Jupyter

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
