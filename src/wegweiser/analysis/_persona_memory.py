"""What a project remembers of its personas between fits: ids, names, centroids (internal).

The memory is a JSON document (the project keeps it as ``personas.json`` in its folder)::

    {"version": 1, "personas": [{"id": 1, "name": "Mobile bargain hunters",
      "name_de": "Mobile Schnäppchenjäger", "centroid": {"channel:paid_social": 0.41, ...}}]}

``min_events`` is the fit's least number of events per person (the persona filter of
:mod:`wegweiser.analysis._persona_assign` assigns only such persons). ``centroid`` holds the
persona's mean *prepared* features (square-root shares, log counts)
by feature name, so it can be compared with any later fit. A refit matches its personas to
the remembered ones (:func:`recall`, Hungarian matching on centroid distances); a matched
persona keeps the remembered id and names -- edit ``name``/``name_de`` in the file and the
new names stay. Unmatched personas get new ids above every remembered one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from wegweiser.analysis._persona_time import match
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from wegweiser.analysis._persona_model import PersonaModel

__all__ = ["VERSION", "check", "recall", "remember"]

VERSION = 1


def _prepared_centroids(model: PersonaModel) -> np.ndarray:
    """The model's centroids as mean prepared features (before centring and scaling)."""
    used = model.used_
    out: np.ndarray = model.centroids_ * model.scale_[used] + model.center_[used]
    return out


def remember(
    model: PersonaModel, ids: Sequence[int], names: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The memory of a fitted ``model`` whose personas carry ``ids`` and (en, de) ``names``."""
    used = [n for n, u in zip(model.feature_names_, model.used_, strict=True) if u]
    cents = _prepared_centroids(model)
    return {
        "version": VERSION,
        "personas": [
            {
                "id": int(i),
                "name": n[0],
                "name_de": n[1],
                "centroid": {f: round(float(v), 6) for f, v in zip(used, c, strict=True)},
            }
            for i, n, c in zip(ids, names, cents, strict=True)
        ],
    }


def check(memory: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The remembered personas of ``memory``, each checked (a precise error otherwise)."""
    where = "personas.json"
    if memory.get("version") != VERSION:
        raise InvalidInput(
            f"{where}: version must be {VERSION}, got {memory.get('version')!r}; "
            "delete the file to start the personas afresh"
        )
    rows = memory.get("personas")
    if not isinstance(rows, list):
        raise InvalidInput(f"{where}: 'personas' must be a list")
    seen: set[int] = set()
    for n, row in enumerate(rows):
        at = f"{where}: personas[{n}]"
        if not isinstance(row, dict):
            raise InvalidInput(f"{at} must be an object")
        pid = row.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid < 1 or pid in seen:
            raise InvalidInput(f"{at}.id must be a unique whole number >= 1, got {pid!r}")
        seen.add(pid)
        for key in ("name", "name_de"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise InvalidInput(f"{at}.{key} must be a non-empty text")
        cent = row.get("centroid")
        if not isinstance(cent, dict) or not all(
            isinstance(v, int | float) and np.isfinite(v) for v in cent.values()
        ):
            raise InvalidInput(f"{at}.centroid must map feature names to finite numbers")
    return rows


def recall(
    model: PersonaModel, memory: Mapping[str, Any] | None, *, max_gaps: float = 0.5
) -> tuple[list[int], dict[int, tuple[str, str]]]:
    """Ids of the model's personas (1..k in order) and the remembered (en, de) names by id.

    A persona matches a remembered one when their centroids are at most ``max_gaps`` times
    the smallest distance between two of the model's centroids apart (after the model's own
    scaling); others get new ids above the remembered ones.
    """
    k = model.n_personas_
    if not memory:
        return list(range(1, k + 1)), {}
    rows = check(memory)
    if not rows:
        return list(range(1, k + 1)), {}
    used = [n for n, u in zip(model.feature_names_, model.used_, strict=True) if u]
    center, scale = model.center_[model.used_], model.scale_[model.used_]
    old = np.array(
        [[float(r["centroid"].get(f, c)) for f, c in zip(used, center, strict=True)] for r in rows]
    )
    old = (old - center) / scale
    cur = model.centroids_
    d = np.linalg.norm(cur[:, None, :] - cur[None, :, :], axis=2)
    gap = float(d[np.triu_indices(k, 1)].min()) if k > 1 else 1.0
    pairs = match(old, cur, max_distance=max_gaps * gap)
    next_id = max(r["id"] for r in rows) + 1
    ids: list[int] = []
    names: dict[int, tuple[str, str]] = {}
    for j in range(k):
        if j in pairs:
            row = rows[pairs[j]]
            ids.append(row["id"])
            names[row["id"]] = (row["name"], row["name_de"])
        else:
            ids.append(next_id)
            next_id += 1
    return ids, names
