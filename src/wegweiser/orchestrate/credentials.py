"""Secrets (SMTP password, webhook signing keys, the unsubscribe key): from environment
variables, or from a secrets file outside the project folder, never from a journey file.

``WEGWEISER_SECRETS_FILE`` names a file of ``NAME=value`` lines (``#`` comments); a
variable set in the environment wins over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from wegweiser.orchestrate.errors import InvalidJourney

SECRETS_FILE_ENV = "WEGWEISER_SECRETS_FILE"


def _from_file(project_dir: Path | None) -> dict[str, str]:
    name = os.environ.get(SECRETS_FILE_ENV)
    if not name:
        return {}
    path = Path(name).resolve()
    if project_dir is not None and path.is_relative_to(project_dir.resolve()):
        raise InvalidJourney([(str(path), None, SECRETS_FILE_ENV,
                               "the secrets file must live outside the project folder (it "
                               "would end up in the repository)")])
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip('"')
    return out


def secret(name: str | None, *, project_dir: Path | None = None) -> str | None:
    """The secret held by variable ``name`` (environment first, then the secrets file)."""
    if not name:
        return None
    value = os.environ.get(name)
    if value:
        return value
    return _from_file(project_dir).get(name) or None
