"""Touchpoints: pain points and adjusted relevance against planted truth (issue 17).

``python benchmarks/bench_touchpoints.py sim --persons 20000 --seeds 3`` -- the generator
with confounding of tests/analysis/touchpoint_sim.py (high-intent persons see more
touchpoints, low-intent persons meet more errors; 5 planted pain points, 2 harmless error
kinds): precision@5 of the pain points, each planted pain point's lost conversions
(adjusted and naive) against the planted expectation, the video (planted 1.5x) and
newsletter (1.0x) ratios with their intervals, seconds. ``--confounding observed`` (default:
the touchpoints follow intent through the first session's channel, seen before them) or
``latent`` (they follow the hidden intent itself; no pre-touchpoint adjustment can remove
all of it): see the generator's docstring.
``... demo --persons 4000 --seeds 2`` -- the demo shop (60 days): rank and lost conversions
of the mobile payment errors against truth.json (with the affected and comparable persons'
conversion beside the completion truth.json assumes), and the adjusted and naive ratios of video,
review sites and display against the planted multipliers (at the purchase decision) and the
persona-standardised ratio the simulation produced (per person).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.analysis.touchpoint_sim import (  # noqa: E402
    PAINS,
    VIDEO_EFFECT,
    journey_table,
    simulate,
)

import wegweiser  # noqa: E402
from wegweiser.analysis.filters import parse  # noqa: E402
from wegweiser.analysis.touchpoint_catalogue import Touchpoint  # noqa: E402
from wegweiser.analysis.touchpoints import touchpoints  # noqa: E402
from wegweiser.events.demo import generate  # noqa: E402


def sim(persons: int, seeds: int, confounding: str = "observed") -> None:
    cat = [Touchpoint("video", (parse("channel=video"),)),
           Touchpoint("newsletter", (parse("event=newsletter_open"),))]
    planted = {(e, d) for _, e, d, *_ in PAINS}
    tally = {"n": 0, "within": 0, "covered": 0, "naive_off": 0, "within_where_naive_off": 0,
             "errors": [], "cpu": 0.0, "wall": 0.0}
    for seed in range(seeds):
        data = simulate(persons, seed=seed, confounding=confounding)  # type: ignore[arg-type]
        start, cpu = time.perf_counter(), time.process_time()
        result = touchpoints(journey_table(data.journey), cat, resamples=200, candidates=2,
                             seed=seed)
        seconds = time.perf_counter() - start
        tally["cpu"] += time.process_time() - cpu
        tally["wall"] += seconds
        pains = result.pain_points
        top = list(zip(pains["event"].head(5), pains["device"].head(5), strict=True))
        precision = sum(k in planted for k in top) / 5
        rel = result.relevance.set_index("touchpoint")
        v, n = rel.loc["video"], rel.loc["newsletter"]
        print(f"seed {seed} ({confounding}): {persons:,} persons, {len(data.journey):,} "
              f"events, {seconds:.1f} s, precision@5 {precision:.2f}; video ratio "
              f"{v['ratio']:.3f} ({v['ratio_low']:.3f}..{v['ratio_high']:.3f}; naive "
              f"{v['naive_ratio']:.3f}, planted {VIDEO_EFFECT}), newsletter {n['ratio']:.3f} "
              f"({n['ratio_low']:.3f}..{n['ratio_high']:.3f}; naive {n['naive_ratio']:.3f}, "
              "planted 1.0)")
        rows = pains.set_index(["event", "device"])
        for key in sorted(planted):
            truth = data.lost[key]
            row = rows.loc[key]
            error = row["lost_conversions"] / truth - 1
            naive_off = abs(row["naive_lost"] / truth - 1) >= 0.3
            tally["n"] += 1
            tally["within"] += abs(error) <= 0.15
            tally["covered"] += row["lost_low"] <= truth <= row["lost_high"]
            tally["naive_off"] += naive_off
            tally["within_where_naive_off"] += naive_off and abs(error) <= 0.15
            tally["errors"].append(error)
            print(f"  {key[0]} · {key[1]}: truth {truth:.1f}, adjusted "
                  f"{row['lost_conversions']:.1f} ({row['lost_conversions'] / truth - 1:+.1%}; "
                  f"interval {row['lost_low']:.1f}..{row['lost_high']:.1f}), naive "
                  f"{row['naive_lost']:.1f} ({row['naive_lost'] / truth - 1:+.1%}), "
                  f"rank {int(row['rank'])}")
    errors = tally["errors"]
    if errors:
        import numpy as np

        print(f"summary over {tally['n']} planted pain-point estimates ({seeds} seeds x "
              f"{persons:,} persons): within +-15% {tally['within']} / {tally['n']}, where the "
              f"naive is off by >= 30% {tally['within_where_naive_off']} / "
              f"{tally['naive_off']}; 95% interval covers the truth {tally['covered']} / "
              f"{tally['n']}; mean error {np.mean(errors):+.1%} (sd {np.std(errors):.1%}); "
              f"touchpoints() {tally['wall']:.0f} s wall, {tally['cpu']:.0f} s CPU")


def _standardised(truth: dict, channel: str) -> float:
    """Conversion of the exposed over the unexposed within persona, weighted by the exposed
    (the simulation's own counts, per simulated person)."""
    obs = truth["channel_effects"][channel]["observed_by_persona"].values()
    num = sum(v["exposed"]["persons"] * v["exposed"]["conversion"] for v in obs
              if v["exposed"]["persons"] and v["unexposed"]["persons"])
    den = sum(v["exposed"]["persons"] * v["unexposed"]["conversion"] for v in obs
              if v["exposed"]["persons"] and v["unexposed"]["persons"])
    return float(num / den)


def demo(persons: int, seeds: int) -> None:
    channels = ("video", "review_site", "display")
    cat = [Touchpoint(ch, (parse(f"channel={ch}"),)) for ch in channels]
    for seed in range(seeds):
        data = generate(persons, seed=seed, days=60)
        with tempfile.TemporaryDirectory() as folder, \
                wegweiser.Project.init(Path(folder) / "p") as project:
            project.import_events(data.events)
            start = time.perf_counter()
            result = touchpoints(project.journey(), cat, resamples=200, candidates=0,
                                 seed=seed, phases=[p.name for p in project.config.phases])
            seconds = time.perf_counter() - start
        pains = result.pain_points
        hit = pains[(pains["event"] == "payment_error") & (pains["device"] == "mobile")].iloc[0]
        truth = data.truth["pain_point"]["observed"]["mobile"]["lost_conversions"]
        print(f"seed {seed}: {persons:,} persons, {seconds:.1f} s; mobile payment_error rank "
              f"{int(hit['rank'])}, lost {hit['lost_conversions']:.1f} (truth {truth:.1f}, "
              f"{hit['lost_conversions'] / truth - 1:+.1%}; interval {hit['lost_low']:.1f}.."
              f"{hit['lost_high']:.1f}), naive {hit['naive_lost']:.1f}")
        observed = data.truth["pain_point"]["observed"]["mobile"]
        print(f"  affected {int(hit['persons'])} (simulated {observed['persons_with_error']}), "
              f"at risk {int(hit['at_risk'])}: conversion affected "
              f"{hit['conversion_affected']:.3f}, comparable {hit['conversion_comparable']:.4f} "
              f"(truth.json assumes {data.truth['pain_point']['complete_without_error']} for "
              "the affected without the error)")
        rel = result.relevance.set_index("touchpoint")
        for ch in channels:
            planted = data.truth["channel_effects"][ch]["conversion_multiplier"]
            row = rel.loc[ch]
            print(f"  {ch}: adjusted {row['ratio']:.3f} ({row['ratio_low']:.3f}.."
                  f"{row['ratio_high']:.3f}), naive {row['naive_ratio']:.3f}; planted "
                  f"{planted} at the decision, {_standardised(data.truth, ch):.3f} per person "
                  "within persona")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("sim", "demo"))
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--confounding", choices=("observed", "latent"), default="observed")
    args = parser.parse_args()
    if args.what == "sim":
        sim(args.persons, args.seeds, args.confounding)
    else:
        demo(args.persons, args.seeds)


if __name__ == "__main__":
    main()
