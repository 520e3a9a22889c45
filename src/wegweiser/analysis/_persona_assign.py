"""Each person's persona from the remembered fit, on the engine (internal).

The persona filter (``where persona = 2``, ``persona = "Mobile bargain hunters"``) and the
breakdown ``by_persona`` read the personas the project remembers (``personas.json``, written
by ``wegweiser personas``; :mod:`wegweiser.analysis._persona_memory`), not a new fit:

* a person's features are those of the fit (:func:`~._persona_features.person_features`
  over their whole journey, on the channels the fit used, visits after the purchase leaving
  the channel mix out), for persons with at least the fit's ``min_events`` events;
* their persona is the remembered centroid nearest to their prepared features (square-root
  shares), each feature weighed as the fit weighs it (channel mix 1, pace 1.5, devices
  0.3): the rule by which the fit assigned its own persons, so on the data of the fit a
  person keeps the persona the fit gave them (up to the 6 decimals the centroids are kept
  with). Ties go to the persona listed first. Persons with fewer events have no persona.

Everything is one Ibis expression: it runs on DuckDB and Spark alike.
"""

from __future__ import annotations

import difflib
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import ibis

from wegweiser.analysis._persona_features import person_features
from wegweiser.analysis._persona_memory import check
from wegweiser.analysis._persona_model import DEFAULT_WEIGHTS, SHARE_GROUPS, group_of
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import ibis.expr.types as ir

    from wegweiser.config import Config

__all__ = ["DEFAULT_MIN_EVENTS", "after_purchase_phases", "assign", "resolve", "roster"]

DEFAULT_MIN_EVENTS = 5
NO_FIT = ("no personas are remembered yet: run `wegweiser personas` first (it keeps them in "
          "personas.json), then filter or break down by persona")


def after_purchase_phases(config: Config) -> list[str]:
    """The phases after the first one that holds a conversion event (default: After-Sale,
    Loyalty/Advocacy)."""
    phases = list(config.phases)
    for i, phase in enumerate(phases):
        if any(fnmatchcase(e, g) for e in config.conversion_events for g in phase.events):
            return [p.name for p in phases[i + 1 :]]
    return []


def roster(memory: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The remembered personas (``id``, ``name``, ``name_de``, ``centroid``), checked;
    :class:`InvalidInput` saying to fit them first when there are none."""
    if not memory:
        raise InvalidInput(NO_FIT)
    rows = check(memory)
    if not rows:
        raise InvalidInput(NO_FIT)
    return rows


def resolve(memory: Mapping[str, Any] | None, values: Sequence[str]) -> list[str]:
    """The persona ids (as text) that ``values`` name: an id, or a name in English or German
    (case-insensitive); an unknown one raises with the personas there are."""
    rows = roster(memory)
    out = []
    for value in values:
        text = str(value).strip()
        hit = [r for r in rows if str(r["id"]) == text
               or text.casefold() in (r["name"].casefold(), r["name_de"].casefold())]
        if not hit:
            names = [r["name"] for r in rows]
            close = difflib.get_close_matches(text, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            known = ", ".join(f"{r['id']} ({r['name']})" for r in rows)
            raise InvalidInput(f"no persona {text!r}; the personas are {known}.{hint}")
        out.append(str(hit[0]["id"]))
    return out


def assign(
    journey: ir.Table,
    memory: Mapping[str, Any] | None,
    *,
    after_phases: Sequence[str] = (),
) -> ir.Table:
    """``person_id``, ``persona`` (the id, int64) of every person with enough events
    (module docstring); an Ibis expression."""
    rows = roster(memory)
    features = sorted({f for r in rows for f in r["centroid"]})
    odd = [f for f in features if group_of(f) not in SHARE_GROUPS
           or DEFAULT_WEIGHTS.get(group_of(f), 0.0) <= 0]
    if odd:
        raise InvalidInput(
            f"personas.json holds features this version does not assign by ({', '.join(odd)}); "
            "run `wegweiser personas` again to refit")
    channels = [f.split(":", 1)[1] for f in features
                if f.startswith("channel:") and f != "channel:(other)"]
    min_events = int(memory.get("min_events", DEFAULT_MIN_EVENTS)) if memory else 1
    per = person_features(journey, min_events=min_events, after_phases=after_phases,
                          channels=channels, phases=[])
    prepared = {f: per[f].cast("float64").clip(lower=0.0).sqrt() if f in per.columns
                else ibis.literal(0.0) for f in features}
    distances = {}
    for k, row in enumerate(rows):
        terms = []
        for f in features:
            w = DEFAULT_WEIGHTS[group_of(f)]
            c = float(row["centroid"].get(f, 0.0))
            terms.append(((prepared[f] - c) * w) ** 2)
        distances[f"_d{k}"] = sum(terms[1:], terms[0])
    scored = per.select("person_id", **distances)
    d = [scored[f"_d{k}"] for k in range(len(rows))]
    cases = []
    for k, row in enumerate(rows):
        nearest = [d[k] < d[j] for j in range(k)] + [d[k] <= d[j] for j in range(k + 1, len(d))]
        cases.append((ibis.and_(*nearest) if nearest else ibis.literal(True), int(row["id"])))
    return scored.select("person_id", persona=ibis.cases(*cases).cast("int64"))
