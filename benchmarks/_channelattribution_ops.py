"""channelattribution's side of the attribution benchmark; runs INSIDE its own venv
(benchmarks/.venv-channelattribution), one (data, order) per process, and never imports
Wegweiser.

``python _channelattribution_ops.py markov DATA.csv --order K [--repeat 3] [--budget 30]
[--ncore 1] [--nsim-start 100000] [--max-step 0]`` reads the path table with
``pandas.read_csv`` (``load_seconds``, its own figure), then runs

    ChannelAttribution.markov_model(Data, "path", "total_conversions",
        var_value="total_conversion_value", var_null="total_null", order=K, sep=">",
        ncore=..., nsim_start=..., max_step=None, out_more=False, seed=0, verbose=True,
        flg_pro=False)

once, then ``--repeat`` more times and reports the median (only the first run when it took
more than ``--budget`` / ``--repeat`` seconds), as ``_wegweiser_attribution_ops.py`` does.
The call includes its own parse of the path strings (C++).

channelattribution estimates removal effects by simulation: it draws ``nsim_start`` paths
from the fitted chain in ``nfold`` (10) groups, multiplies the number of paths by
``rate_step_sim`` (1.5) until the credits of the groups differ by less than ``conv_par``
(5%), and cuts each simulated path at ``max_step`` steps (default: the longest path in the
data; a path cut there counts as not converting). The credits it returns are those of the
one group closest to the median, i.e. of ``nsim_start / nfold`` simulated paths. The verbose
lines it prints are parsed for the number of simulated paths and the share that ended before
the cut; nothing else is printed (``flg_pro=False`` hides the "Pro" banner of each call;
the banner printed at import cannot be turned off and is swallowed). It makes no network
call (checked without a network): only ``install_pro()`` does.

``python _channelattribution_ops.py version`` prints the installed version (without the
import); ``probe`` imports it and fits a 4-path table (proves the install works offline).
Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import current_rss_mib, peak_rss_mib


def import_ca() -> Any:
    """The module, with the banner it prints at import swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution

    return ChannelAttribution


def fit(ca: Any, data: Any, order: int, ncore: int, nsim_start: int, max_step: int | None
        ) -> tuple[Any, str]:
    """markov_model's result and what it printed."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = ca.markov_model(
            data, "path", "total_conversions", var_value="total_conversion_value",
            var_null="total_null", order=order, sep=">", ncore=ncore,
            nsim_start=nsim_start, max_step=max_step, out_more=False, seed=0,
            verbose=True, flg_pro=False)
    return result, buf.getvalue()


def parse_verbose(text: str) -> dict[str, Any]:
    """Simulated paths of the last round, rounds, share of paths ending before the cut."""
    sims = [int(n) for n in re.findall(r"Number of simulations: (\d+)", text)]
    out: dict[str, Any] = {"simulations": sims[-1] if sims else None, "rounds": len(sims)}
    done = re.search(r"maximum number of steps \((\d+)\) is reached: ([\d.]+)%", text)
    if done:
        out["max_step"] = int(done.group(1))
        out["ended_before_cut_pct"] = float(done.group(2))
    return out


def measure(data_path: Path, order: int, repeat: int, budget: float, ncore: int,
            nsim_start: int, max_step: int | None) -> dict[str, Any]:
    import pandas as pd

    ca = import_ca()
    t0, c0 = time.perf_counter(), time.process_time()
    data = pd.read_csv(data_path)
    load_seconds, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    load_rss = current_rss_mib()
    load_peak = peak_rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    result, printed = fit(ca, data, order, ncore, nsim_start, max_step)
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    times, cpu = [], []
    if first * repeat <= budget:
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            result, printed = fit(ca, data, order, ncore, nsim_start, max_step)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    from importlib.metadata import version

    return {
        "model": "markov", "order": order,
        "seconds": statistics.median(times) if times else first, "first_seconds": first,
        "runs": len(times) or 1, "warm": bool(times), "load_seconds": load_seconds,
        "cpu_seconds": statistics.median(cpu) if cpu else first_cpu, "load_cpu_seconds": load_cpu,
        "load_rss_mib": load_rss, "load_peak_rss_mib": load_peak, "paths": len(data),
        "peak_rss_mib": peak_rss_mib(), "version": version("ChannelAttribution"),
        "ncore": ncore, "nsim_start": nsim_start, **parse_verbose(printed),
        "credits": dict(zip(result["channel_name"].astype(str),
                            result["total_conversions"].astype(float), strict=True)),
        "revenue": dict(zip(result["channel_name"].astype(str),
                            result["total_conversion_value"].astype(float), strict=True)),
    }


def probe() -> dict[str, Any]:
    import pandas as pd

    ca = import_ca()
    data = pd.DataFrame({"path": ["a > b > c", "a", "b > b > c", "c > a"],
                         "total_conversions": [3, 1, 2, 0], "total_null": [1, 5, 2, 4],
                         "total_conversion_value": [30.0, 10.0, 20.0, 0.0]})
    result, _ = fit(ca, data, 1, 1, 10_000, None)
    from importlib.metadata import version

    return {"version": version("ChannelAttribution"),
            "credits": dict(zip(result["channel_name"].astype(str),
                                result["total_conversions"].astype(float), strict=True))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("markov", "version", "probe"))
    parser.add_argument("data", type=Path, nargs="?")
    parser.add_argument("--order", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--ncore", type=int, default=1)
    parser.add_argument("--nsim-start", type=int, default=100_000)
    parser.add_argument("--max-step", type=int, default=0, help="0: the longest path")
    args = parser.parse_args()
    if args.command == "version":
        from importlib.metadata import version

        out: dict[str, Any] = {"version": version("ChannelAttribution")}
    elif args.command == "probe":
        out = probe()
    elif args.data is None:
        parser.error("markov needs DATA")
    else:
        out = measure(args.data, args.order, args.repeat, args.budget, args.ncore,
                      args.nsim_start, args.max_step or None)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
