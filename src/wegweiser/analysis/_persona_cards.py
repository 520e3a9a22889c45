"""Persona cards: size, name, profile and what distinguishes each persona (internal).

``cards``: one row per persona -- ``persona`` (1..k), ``name``/``name_de`` and
``profile``/``profile_de`` (generated, see :mod:`._persona_names`; an edited name replaces
the generated one), ``persons``, ``share``, ``top_channels`` (highest mean visit shares),
``device`` and ``hours`` (the largest share), ``conversion`` (share of persons with an
order), ``revenue_per_person``, ``repeat_rate`` (share of buyers with two orders or more),
``events_per_session``, ``phases`` (reached by at least half of them).

``profile``: per persona and feature, the persona's mean with a 95% interval (normal
approximation, mean ± 1.96 standard errors), everyone's mean and ``z``, the difference in
everyone's standard deviations; sorted by ``|z|`` within each persona, so the top rows are
what distinguishes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wegweiser.analysis._persona_names import unique_names

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["cards", "profile"]

_Z95 = 1.959964


def profile(features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Per persona and feature: mean, 95% interval, everyone's mean, ``z`` (see module)."""
    values = features.drop(columns="person_id")
    overall = values.mean()
    sd = values.std(ddof=0).replace(0.0, np.nan)
    rows = []
    for k in sorted(set(labels.tolist())):
        part = values[labels == k]
        n = len(part)
        mean = part.mean()
        se = part.std(ddof=1).fillna(0.0) / np.sqrt(max(n, 1))
        z = ((mean - overall) / sd).fillna(0.0)
        for col in values.columns:
            rows.append(
                {
                    "persona": int(k),
                    "feature": col,
                    "value": float(mean[col]),
                    "low": float(mean[col] - _Z95 * se[col]),
                    "high": float(mean[col] + _Z95 * se[col]),
                    "everyone": float(overall[col]),
                    "z": float(z[col]),
                }
            )
    out = pd.DataFrame(
        rows, columns=["persona", "feature", "value", "low", "high", "everyone", "z"]
    )
    out["_abs"] = out["z"].abs()
    out = out.sort_values(["persona", "_abs", "feature"], ascending=[True, False, True])
    return out.drop(columns="_abs").reset_index(drop=True)


def _top(mean: pd.Series, prefix: str, n: int) -> list[str]:
    part = mean[[c for c in mean.index if c.startswith(prefix)]]
    part = part[part > 0].sort_values(ascending=False, kind="stable")
    return [c.split(":", 1)[1] for c in part.index[:n]]


def cards(
    features: pd.DataFrame,
    labels: np.ndarray,
    prof: pd.DataFrame,
    names: Mapping[int, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """One card per persona (see the module docstring); ``names`` override the generated
    (en, de) names of some personas."""
    values = features.drop(columns="person_id")
    ks = sorted(set(labels.tolist()))
    zs = [dict(prof[prof["persona"] == k].set_index("feature")["z"]) for k in ks]
    generated = unique_names(zs)
    rows = []
    for k, ((name, name_de), (text, text_de)) in zip(ks, generated, strict=True):
        if names and k in names:
            name, name_de = names[k]
        part = values[labels == k]
        mean = part.mean()
        orders = part["orders"] if "orders" in part else pd.Series(0.0, index=part.index)
        buyers = orders > 0
        phases = [
            c.split(":", 1)[1] for c in mean.index if c.startswith("phase:") and mean[c] >= 0.5
        ]
        rows.append(
            {
                "persona": int(k),
                "name": name,
                "name_de": name_de,
                "profile": text,
                "profile_de": text_de,
                "persons": len(part),
                "share": len(part) / len(values),
                "top_channels": ", ".join(_top(mean, "channel:", 3)),
                "device": ", ".join(_top(mean, "device:", 1)),
                "hours": ", ".join(_top(mean, "hours:", 1)),
                "conversion": float(buyers.mean()),
                "revenue_per_person": float(part["revenue"].mean()) if "revenue" in part else 0.0,
                "repeat_rate": float((orders[buyers] >= 2).mean()) if buyers.any() else 0.0,
                "events_per_session": float(mean.get("events_per_session", np.nan)),
                "phases": ", ".join(phases),
            }
        )
    return pd.DataFrame(rows)
