"""The Pareto/NBD formulas of ``lifetimes`` 0.11.3 (``ParetoNBDFitter``), taken from its
wheel at test time as a reference: the methods' source is compiled on their own (importing
the package needs autograd and matplotlib), bound to given parameters."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from tests.wheels import wheel_member

if TYPE_CHECKING:
    from pathlib import Path

METHODS = ("_log_A_0", "_conditional_log_likelihood", "expected_number_of_purchases_up_to_time",
           "conditional_probability_of_n_purchases_up_to_time")


def pareto_nbd(folder: Path, params: dict[str, float]) -> Any:
    """An object with lifetimes' Pareto/NBD methods (:data:`METHODS`) for ``params``."""
    source = wheel_member(folder, "Lifetimes", "0.11.3",
                          "lifetimes/fitters/pareto_nbd_fitter.py").decode()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef)
               and n.name == "ParetoNBDFitter")
    cls.bases, cls.keywords = [], []
    cls.body = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in METHODS]
    namespace: dict[str, Any] = {
        "np": np, "log": np.log, "exp": np.exp, "logaddexp": np.logaddexp,
        "asarray": np.asarray, "npany": np.any, "gammaln": special.gammaln,
        "hyp2f1": special.hyp2f1, "betaln": special.betaln, "logsumexp": special.logsumexp,
    }
    exec(compile(ast.Module(body=[cls], type_ignores=[]), "lifetimes_pareto", "exec"),
         namespace)
    fitter = namespace["ParetoNBDFitter"]()
    values = {k: float(v) for k, v in params.items()}
    fitter._unload_params = lambda *names: [values[n] for n in names]
    return fitter
