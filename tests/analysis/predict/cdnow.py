"""The CDNOW sample (Fader, Hardie & Lee 2005) from the ``Lifetimes`` 0.11.3 wheel: the
2,357 customers' transactions and the published weekly summary, read at test time."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd

from tests.wheels import wheel_member

if TYPE_CHECKING:
    from pathlib import Path

# Published maximum-likelihood estimates (39-week calibration, weekly unit)
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CALIBRATION_END = "1997-09-30"


def _member(folder: Path, name: str) -> bytes:
    return wheel_member(folder, "Lifetimes", "0.11.3", f"lifetimes/datasets/{name}")


def summary(folder: Path) -> pd.DataFrame:
    """``ID, x, t_x, T, zbar``: the published summary (946 repeat buyers have zbar > 0)."""
    return pd.read_csv(io.BytesIO(_member(folder, "cdnow_customers_summary_with_transactions.csv")))


def transactions(folder: Path) -> pd.DataFrame:
    """``customer, date, cds, dollars``: one row per transaction of the sample."""
    rows = [line.split() for line in _member(folder, "CDNOW_sample.txt").decode().splitlines()
            if line.strip()]
    return pd.DataFrame({"customer": [r[1] for r in rows], "date": [r[2] for r in rows],
                         "cds": [int(r[3]) for r in rows],
                         "dollars": [float(r[4]) for r in rows]})


def events(folder: Path) -> pd.DataFrame:
    """The transactions as purchase events (one each, none merged by the import)."""
    tx = transactions(folder)
    return pd.DataFrame({
        "message_id": [f"cdnow-{i}" for i in range(len(tx))],
        "type": "track", "event": "order_completed",
        "user_id": tx["customer"].to_numpy(),
        "timestamp": pd.to_datetime(tx["date"], format="%Y%m%d", utc=True),
        "revenue": tx["dollars"].to_numpy(),
    })


def close(fitted: dict[str, float], published: dict[str, float]) -> bool:
    """Each fitted value within 0.005 or 0.1% of the published one (the published figures
    are rounded; our optimum of the Pareto/NBD likelihood has beta = 11.668, where the
    published 11.669 has a log-likelihood lower by 8e-5)."""
    return all(abs(fitted[k] - v) <= max(0.005, 0.001 * abs(v)) for k, v in published.items())
