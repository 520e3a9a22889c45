"""Each unit's best funnel attempt by an ordered scan over NumPy arrays (internal).

The input is the funnel's candidate rows (step and exclusion events) grouped by unit and in
``seq`` order within each unit: ``first`` marks a unit's first row, ``t`` is the time in
microseconds, ``seq`` the position in the person's journey and ``mask`` has bit ``k`` set
when the row matches step ``k`` and bit :data:`EXCLUDED` when it is an exclusion event.
:func:`best_attempts` follows every attempt of every unit at once, with the definitions of
:mod:`wegweiser.analysis.funnels` (the same as the SQL of
:mod:`wegweiser.analysis._funnel_units`), and keeps each unit's best one.

How, without a loop over rows or units: for every step a running count of its matching
rows gives the next match after any row by two gathers (``_Matches``); an ordered attempt
follows its greedy chain by one such lookup per step, a strict one checks the row right
after the previous step, an unordered one looks up each step's first match from its entry
on; a step counts when its row lies before the unit's end and the attempt's first
exclusion (one limit per attempt) and within the windows. A first pass counts the steps of
every attempt; the best attempt per unit is a segmented maximum over them (attempts sorted
by unit), and only the best attempts are followed again for their rows. Ordered funnels
with ``entry="any"`` follow one attempt per group of entries that share their chain
(``_ordered_best``): at 5M demo events 375k of 1.65M attempts.

>>> import numpy as np
>>> first = np.array([True, False, False, True, False])
>>> t = np.array([0, 10, 20, 0, 5]) * 60_000_000
>>> b = best_attempts(first, t, np.arange(5), np.array([1, 2, 4, 1, 1]), n=3,
...                   mode="ordered", entry="any", window_us=3600 * 10**6)
>>> b.n_reached.tolist(), b.done_us[2].tolist()
([3, 1], [1200000000, -1])
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy.typing as npt

    Ints = npt.NDArray[np.integer[Any]]
    Bools = npt.NDArray[np.bool_]

#: the mask bit of an exclusion event (steps use bits 0 .. MAX_STEPS - 1)
EXCLUDED = 20


@dataclass(frozen=True)
class Best:
    """One entry per unit that entered, in unit order: its best attempt.

    ``entry`` (row index of the entry event), ``n_reached``, ``n_distinct``;
    ``step_row[k]`` the row taken for step k where ``reached[k]`` (else -1; ordered and
    strict: steps 0..k all reached; unordered: step k on its own); ``done_us[k]`` when steps
    0..k were all done, meaningful only where ``n_reached > k`` (-1 elsewhere).
    """

    unit: Ints
    entry: Ints
    n_reached: Ints
    n_distinct: Ints
    step_row: Ints
    reached: Bools
    done_us: Ints


class _Matches:
    """Where each step's matching rows are, to find a step's next match after any row: by
    a running count of the matches (two gathers a lookup) when many rows are looked up,
    by a binary search in the matching rows when few are (no pass over every row)."""

    def __init__(self, mask: npt.NDArray[np.int32], rows: int) -> None:
        self.mask, self._rows = mask, rows
        self._where: dict[int, Ints] = {}
        self._count: dict[int, Ints] = {}

    def where(self, bit: int) -> Ints:
        """The rows matching ``bit``, then ``rows``."""
        if bit not in self._where:
            # (a boolean array first: NumPy finds the set ones of booleans ~3x faster)
            where = np.flatnonzero((self.mask & (1 << bit)) != 0).astype(np.int32)
            self._where[bit] = np.r_[where, np.int32(self._rows)]
        return self._where[bit]

    def count(self, bit: int) -> Ints:
        """Matches of ``bit`` in rows ``0 .. i - 1`` at index ``i`` (``rows + 1`` long)."""
        if bit not in self._count:
            count = np.empty(self._rows + 1, dtype=np.int32)
            count[0] = 0
            np.cumsum((self.mask & (1 << bit)) != 0, dtype=np.int32, out=count[1:])
            self._count[bit] = count
        return self._count[bit]

    def _first(self, bit: int, row: Ints, *, after: bool) -> Ints:
        where = self.where(bit)
        # a running count costs a pass over every row, a binary search log2(matches) steps
        # a lookup (~4 : 1 a step, measured)
        if bit in self._count or len(row) * np.log2(len(where) + 1) > 4 * self._rows:
            count = self.count(bit)
            out: Ints = where[count[1:][row] if after else count[row]]
            return out
        side: Literal["left", "right"] = "right" if after else "left"
        found: Ints = where[np.searchsorted(where[:-1], row, side=side)]
        return found

    def after(self, bit: int, row: Ints) -> Ints:
        """The first row after ``row`` matching ``bit`` (``rows`` when none)."""
        return self._first(bit, row, after=True)

    def from_(self, bit: int, row: Ints) -> Ints:
        """The first row from ``row`` on matching ``bit`` (``rows`` when none)."""
        return self._first(bit, row, after=False)


#: rows below which :func:`best_attempts_split` runs in one piece (a thread costs more)
SPLIT_ROWS = 200_000


def best_attempts_split(
    first: Bools,
    t: Ints,
    seq: Ints,
    mask: npt.NDArray[np.int32],
    *,
    parts: int = 2,
    **options: Any,
) -> Best:
    """:func:`best_attempts` on ``parts`` pieces of whole units at once, one thread each
    (NumPy lets go of the GIL in its loops, so the pieces use more than one core), joined
    into the same :class:`Best` as one call gives: units are independent of each other."""
    heads = np.flatnonzero(first)
    rows = len(t)
    cuts = sorted(
        {
            int(heads[i])
            for i in np.searchsorted(heads, [rows * k // parts for k in range(1, parts)])
            if i < len(heads) and heads[i] > 0
        }
    )
    if rows < SPLIT_ROWS or not cuts:
        return best_attempts(first, t, seq, mask, **options)
    bounds = [0, *cuts, rows]
    spans = list(itertools.pairwise(bounds))
    with ThreadPoolExecutor(max_workers=len(spans) - 1) as pool:
        later = [
            pool.submit(best_attempts, first[a:b], t[a:b], seq[a:b], mask[a:b], **options)
            for a, b in spans[1:]
        ]
        a, b = spans[0]
        pieces = [best_attempts(first[a:b], t[a:b], seq[a:b], mask[a:b], **options)]
        pieces += [f.result() for f in later]
    return _joined(pieces, [a for a, _ in spans], [int(first[a:b].sum()) for a, b in spans])


def _joined(pieces: list[Best], offsets: list[int], units: list[int]) -> Best:
    """The :class:`Best` of consecutive pieces of rows (``offsets``: each piece's first
    row, ``units``: its units)."""
    unit_offsets = np.cumsum([0, *units[:-1]])
    return Best(
        unit=np.concatenate([p.unit + u for p, u in zip(pieces, unit_offsets, strict=True)]),
        entry=np.concatenate([p.entry + o for p, o in zip(pieces, offsets, strict=True)]),
        n_reached=np.concatenate([p.n_reached for p in pieces]),
        n_distinct=np.concatenate([p.n_distinct for p in pieces]),
        step_row=np.concatenate(
            [
                np.where(p.step_row >= 0, p.step_row + o, -1)
                for p, o in zip(pieces, offsets, strict=True)
            ],
            axis=1,
        ),
        reached=np.concatenate([p.reached for p in pieces], axis=1),
        done_us=np.concatenate([p.done_us for p in pieces], axis=1),
    )


def best_attempts(
    first: Bools,
    t: Ints,
    seq: Ints,
    mask: npt.NDArray[np.int32],
    *,
    n: int,
    mode: str,
    entry: str,
    window_us: int,
    step_windows_us: Sequence[int | None] | None = None,
) -> Best:
    """Each unit's best attempt (see the module docstring); arrays of equal length."""
    rows = len(t)
    unit = np.cumsum(first, dtype=np.int32) - 1
    ends = np.r_[np.flatnonzero(first)[1:], rows].astype(np.int32)
    found = _Matches(mask, rows)
    steps_bits = (1 << n) - 1
    starts = (mask & steps_bits) != 0 if mode == "unordered" else (mask & 1) != 0
    e: Ints = np.flatnonzero(starts).astype(np.int32)
    excluded = mode != "strict" and bool((mask & (1 << EXCLUDED)).any())

    def limit_of(e: Ints, ue: Ints) -> Ints:
        """The rows an attempt may use: before its unit's end and its first exclusion after
        the entry."""
        limit: Ints = ends[ue]
        if excluded:
            limit = np.minimum(limit, found.after(EXCLUDED, e))
        return limit

    follow = _Follow(
        t, seq, found, mode=mode, n=n, window_us=window_us, step_windows_us=step_windows_us
    )
    best: tuple[Ints, Ints, Ints, Ints, Ints]
    if mode == "ordered" and entry == "any" and len(e):
        best = _ordered_best(follow, e, unit, first, limit_of, excluded=excluded)
    else:
        ue: Ints = unit[e]
        if entry == "first" and len(e):
            e = e[np.r_[True, ue[1:] != ue[:-1]]]
            ue = unit[e]
        limit = limit_of(e, ue)
        n_reached, distinct = follow.counts(e, limit)
        chosen = _best(ue, n_reached.astype(np.int32) * 32 + distinct)
        best = e[chosen], ue[chosen], limit[chosen], n_reached[chosen], distinct[chosen]
    e, ue, limit, nr_, n_distinct = best
    step_row, reached = follow.rows(e, limit)
    nr = nr_.astype(np.int64)
    times = np.where(reached, np.take(t, step_row, mode="clip"), np.iinfo(np.int64).min)
    if mode == "unordered":
        times = np.maximum.accumulate(times, axis=0)
    done = np.where(np.arange(n)[:, None] < nr[None, :], times, -1)
    return Best(
        unit=ue.astype(np.int64),
        entry=e.astype(np.int64),
        n_reached=nr,
        n_distinct=n_distinct.astype(np.int64),
        step_row=np.where(reached, step_row, -1),
        reached=reached,
        done_us=done,
    )


def _ordered_best(
    follow: _Follow,
    e: Ints,
    unit: Ints,
    first: Bools,
    limit_of: Callable[[Ints, Ints], Ints],
    *,
    excluded: bool,
) -> tuple[Ints, Ints, Ints, Ints, Ints]:
    """Each unit's best ordered attempt (entry "any"), following one attempt per *group*:
    entries of a unit with no step-2 match and no exclusion between them (the later one
    included) share their greedy chain from step 2 on and their limit, so their levels
    differ only by the windows measured from the entry, and a later entry (not earlier in
    time) reaches at least as far. Per group the entry with the latest time is followed;
    the group's candidate is its earliest entry that reaches as far: its first one when no
    entry window applies, else the first whose time clears the chain's window thresholds.
    Returns entry rows, units, limits, steps reached and distinct steps done (the same)
    of the best attempts."""
    found, t = follow.found, follow.t
    # an entry starts a group when a unit starts, or a step-2 row or an exclusion comes,
    # after the previous entry (up to the entry itself): a running count of such rows
    bits = (1 << 1) | ((1 << EXCLUDED) if excluded else 0)
    flags = (found.mask & bits) != 0
    flags |= first
    key = np.cumsum(flags, dtype=np.int32)[e]
    head = np.ones(len(e), dtype=bool)
    np.not_equal(key[1:], key[:-1], out=head[1:])
    heads = np.flatnonzero(head)
    w1 = follow.windows[1]
    if follow.window is None and w1 is None:  # every entry of a group reaches as far
        e = e[heads]
        ue = unit[e]
        limit = limit_of(e, ue)
        reached, _ = follow.counts(e, limit)
        chosen = _best(ue, reached.astype(np.int32))
        return e[chosen], ue[chosen], limit[chosen], reached[chosen], reached[chosen]
    ue = unit[e]
    limit = limit_of(e, ue)
    group = np.cumsum(head) - 1
    te = t[e]
    latest = te == np.maximum.reduceat(te, heads)[group]
    rep = _firsts(latest, group)
    reached, _ = follow.counts(e[rep], limit[rep])
    chosen = _best(ue[rep], reached.astype(np.int32))
    rep, level = rep[chosen], reached[chosen].astype(np.int64)
    at = np.take(t, follow.rows(e[rep], limit[rep])[0], mode="clip")  # chain times
    # the entry time an attempt of the group needs to reach ``level`` steps
    low = np.iinfo(np.int64).min
    need = np.full(len(rep), low, dtype=np.int64)
    if follow.window is not None:
        k = np.arange(follow.n)[:, None]
        last = np.where((k >= 1) & (k < level[None, :]), at, low).max(axis=0)
        need = np.where(level >= 2, last - follow.window, need)
    if w1 is not None:
        need = np.where(level >= 2, np.maximum(need, at[1] - w1), need)
    threshold = np.full(len(heads), np.iinfo(np.int64).max, dtype=np.int64)
    threshold[group[rep]] = need
    pick = _firsts(te >= threshold[group], group)
    return e[pick], ue[pick], limit[pick], level, level


def _firsts(flag: Bools, group: Ints) -> Ints:
    """Per group (``group`` sorted) that has a set ``flag``, the position of its first."""
    where = np.flatnonzero(flag)
    g = group[where]
    out: Ints = where[np.r_[True, g[1:] != g[:-1]]] if len(where) else where
    return out


class _Follow:
    """The attempts' steps: per step, the row taken and whether it counts."""

    def __init__(
        self,
        t: Ints,
        seq: Ints,
        found: _Matches,
        *,
        mode: str,
        n: int,
        window_us: int,
        step_windows_us: Sequence[int | None] | None,
    ) -> None:
        self.t, self.seq, self.found, self.mode, self.n = t, seq, found, mode, n
        # a window at least as long as the time the rows span cannot cut anything: skipped
        span = int(t.max()) - int(t.min()) if len(t) else 0
        self.window = None if window_us >= span else int(window_us)
        self.windows = [
            None if w is None or w >= span else int(w) for w in (step_windows_us or [None] * n)
        ]

    def steps(self, e: Ints, limit: Ints) -> Iterator[tuple[Ints, Bools]]:
        """Per step k: the row taken for it and whether the step counts (ordered and
        strict: steps 0..k; unordered: step k)."""
        t, window = self.t, self.window
        te = t[e] if window is not None else None
        if self.mode == "unordered":
            for k in range(self.n):
                s = self.found.from_(k, e)
                ok = s < limit
                if te is not None and window is not None:
                    ok &= np.take(t, s, mode="clip") - te <= window
                yield s, ok
            return
        s, ok = e, np.ones(len(e), dtype=bool)
        yield s, ok
        for k in range(1, self.n):
            if self.mode == "strict":
                cand = s + 1
                nxt = np.minimum(cand, len(t) - 1)
                ok = (
                    ok
                    & (cand < limit)
                    & (self.seq[nxt] == self.seq[s] + 1)
                    & ((self.found.mask[nxt] & (1 << k)) != 0)
                )
            else:
                cand = self.found.after(k, s)
                ok = ok & (cand < limit)
            w = self.windows[k]
            if te is not None or w is not None:
                tc = np.take(t, cand, mode="clip")
                if te is not None and window is not None:
                    ok &= tc - te <= window
                if w is not None:
                    ok &= tc - t[s] <= w
            s = np.where(ok, cand, s)
            yield cand, ok

    def counts(self, e: Ints, limit: Ints) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
        """Per attempt: steps reached in a row from the first, and distinct steps done."""
        reached = np.zeros(len(e), dtype=np.int8)
        if self.mode != "unordered":  # each step's flag already holds for the steps before
            for _, ok in self.steps(e, limit):
                reached += ok
            return reached, reached
        distinct = np.zeros(len(e), dtype=np.int8)
        prefix = np.ones(len(e), dtype=bool)
        for _, ok in self.steps(e, limit):
            prefix &= ok
            reached += prefix
            distinct += ok
        return reached, distinct

    def rows(self, e: Ints, limit: Ints) -> tuple[Ints, Bools]:
        """Per step and attempt: the row taken and whether the step counts."""
        pairs = list(self.steps(e, limit))
        return (
            np.array([s for s, _ in pairs], dtype=np.int64).reshape(self.n, len(e)),
            np.array([ok for _, ok in pairs], dtype=bool).reshape(self.n, len(e)),
        )


def _best(unit: Ints, rank: Ints) -> Ints:
    """Per unit (``unit`` sorted), the position of its highest ``rank``, the first of
    equals: one segmented maximum of ``rank`` above the position reversed."""
    if not len(unit):
        return np.zeros(0, dtype=np.int64)
    heads = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    last = np.int64(2**32 - 1)
    key = (rank.astype(np.int64) << 32) | (last - np.arange(len(unit), dtype=np.int64))
    out: Ints = last - (np.maximum.reduceat(key, heads) & last)
    return out
