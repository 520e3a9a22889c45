"""``wegweiser.toml`` as the running server sees it: read again when the file changes.

Each look costs one ``stat`` (modification time, size and inode); the file is parsed only
when one of them changed. A change that does not parse (a half-saved edit) keeps the last
good settings and is logged, so a typo never takes the server down or opens it up.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wegweiser.config import CONFIG_FILE, Config, load_config
from wegweiser.errors import InvalidConfig

log = logging.getLogger("wegweiser.serve")

Stamp = tuple[int, int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


class ConfigWatch:
    """The config and what ``derive`` makes of it (the secrets), kept current."""

    def __init__(self, project_dir: Path, derive: Callable[[Config], Any]) -> None:
        self.project_dir = project_dir
        self.path = project_dir / CONFIG_FILE
        self.derive = derive
        self._lock = threading.Lock()
        self._stamp = _stamp(self.path)
        self._config = load_config(project_dir)
        self._derived = derive(self._config)
        self.had_users = bool(getattr(self._derived, "users", None))
        self.reloads = 0

    def current(self) -> tuple[Config, Any]:
        """The settings; read again first if the file changed since the last look."""
        if _stamp(self.path) != self._stamp:
            self.reload()
        return self._config, self._derived

    def reload(self) -> tuple[Config, Any]:
        """Read the file now (a broken file keeps the last good settings)."""
        with self._lock:
            stamp = _stamp(self.path)
            try:
                config = load_config(self.project_dir)
                derived = self.derive(config)
            except InvalidConfig as exc:
                if stamp != self._stamp:
                    log.error(
                        "%s changed but cannot be used; keeping the settings read before: %s",
                        self.path,
                        exc,
                    )
                self._stamp = stamp
                return self._config, self._derived
            self._stamp = stamp
            self._config, self._derived = config, derived
            self.had_users = self.had_users or bool(getattr(derived, "users", None))
            self.reloads += 1
            return config, derived
