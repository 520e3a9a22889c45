"""Plain-Python helpers: random path tables and reference rule-based credits."""

from __future__ import annotations

import random

from wegweiser.analysis.attribution import Paths


def random_paths(seed: int, *, n: int = 30, channels: str = "abcde", max_len: int = 5,
                 lags: bool = False) -> tuple[list[list[str]], list[int], list[int],
                                             list[float], list[list[float]] | None]:
    rng = random.Random(seed)
    touches = [[rng.choice(channels) for _ in range(rng.randint(1, max_len))] for _ in range(n)]
    conv = [rng.choice([0, 0, 1, 2, 5]) for _ in range(n)]
    nulls = [rng.choice([0, 1, 3, 10]) for _ in range(n)]
    for i in range(n):
        if conv[i] + nulls[i] == 0:
            nulls[i] = 1
    value = [round(c * rng.uniform(5, 50), 2) for c in conv]
    lag = [sorted((rng.randint(0, 20) for _ in t), reverse=True) for t in touches] if lags else None
    return touches, conv, nulls, value, lag


def make(seed: int, **kw) -> tuple[Paths, tuple]:
    t, c, n, v, lag = random_paths(seed, **kw)
    return Paths.from_lists(t, conversions=c, nulls=n, value=v, lags=lag), (t, c, n, v, lag)


def rule_credits(touches, conv, value, weight_fn) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for i, path in enumerate(touches):
        w = weight_fn(i, path)
        total = sum(w)
        w = [x / total for x in w] if total > 0 else [1 / len(path)] * len(path)
        for ch, x in zip(path, w, strict=True):
            slot = out.setdefault(ch, [0.0, 0.0])
            slot[0] += x * conv[i]
            slot[1] += x * value[i]
    return out
