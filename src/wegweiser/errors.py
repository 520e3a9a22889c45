"""Every error Wegweiser raises, as one tree.

::

    WegweiserError
    ├── ProjectError            project folder missing, not initialised, locked
    │   └── StoreBusy           another process held the store longer than we waited
    ├── InvalidConfig           wegweiser.toml is wrong           (also ValueError)
    ├── InvalidInput            a file or argument cannot be used (also ValueError)
    │   └── UnreadableSource    a whole file cannot be read
    │   └── NotFittedError      a model's result read before fit()  (also AttributeError)
    │   └── UnknownPerson       no person has this id or email
    ├── InvalidEvent            one event is malformed            (also ValueError)
    ├── MissingDependency       an optional extra is not installed (also ImportError)
    └── JourneyError            journeys (wegweiser.orchestrate.errors)
        ├── InvalidJourney      a journey file is wrong           (also ValueError)
        ├── StateStoreError     the journey state store cannot be used
        └── DeliveryError       a message could not be delivered
            ├── Transient       retried with backoff
            └── Terminal        parked with its reason, never retried

Messages say what happened, then what to do next.
"""

from __future__ import annotations

DOCS_URL = "https://github.com/wegweiser-journeys/wegweiser/blob/main/docs/guide.md"


class WegweiserError(Exception):
    """Root of every error Wegweiser raises on purpose."""

    exit_code: int = 1


class ProjectError(WegweiserError):
    """The project folder is missing, not initialised or cannot be opened."""


class StoreBusy(ProjectError):
    """Another process (``wegweiser serve``, an import) held the store past the wait time."""


class InvalidConfig(WegweiserError, ValueError):
    """``wegweiser.toml`` does not validate; ``path`` names the file."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class InvalidInput(WegweiserError, ValueError):
    """An argument or input cannot be used as given."""

    exit_code = 2


class NotFittedError(InvalidInput, AttributeError):
    """A fitted attribute (``credits_``, ...) was read before ``fit()``."""


class UnknownPerson(InvalidInput):
    """No person has this id (person, anonymous or user id) or email; ``query`` is it."""

    exit_code = 1

    def __init__(self, message: str, *, query: str = "") -> None:
        super().__init__(message)
        self.query = query

    def __reduce__(self) -> tuple[type[UnknownPerson], tuple[str], dict[str, str]]:
        return (type(self), (str(self),), {"query": self.query})  # survives the query pool


class UnreadableSource(InvalidInput):
    """A whole source (file, folder, glob) cannot be read; ``source`` names it."""

    exit_code = 1

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(message)
        self.source = source


class InvalidEvent(WegweiserError, ValueError):
    """One event is malformed; ``source`` and ``line`` say where, ``reason`` what."""

    def __init__(self, reason: str, *, source: str | None = None, line: int | None = None) -> None:
        where = f"{source}:{line}: " if source is not None else ""
        super().__init__(f"{where}{reason}")
        self.reason = reason
        self.source = source
        self.line = line


class MissingDependency(WegweiserError, ImportError):
    """An optional extra is needed; the message carries the ``pip install`` line."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f'This needs the package {package!r}. Install it with: pip install "wegweiser[{extra}]"'
        )
        self.package = package
        self.extra = extra
