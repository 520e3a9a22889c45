"""Personas: recovery, number chosen, stability, drift and speed (issue 16).

``python benchmarks/bench_personas.py recovery --seeds 5`` -- demo shop (4,000 persons, 120
days) per seed: adjusted Rand index against the planted personas over persons with >= 10
events, and the chosen number.
``... planted --seeds 20`` -- own generator with 3 and 5 planted personas (channel
preferences): share of seeds where the chosen number is right.
``... stability --seeds 3`` -- a stationary demo over 360 days in 12 periods: share of
(period, persona id) whose members' dominant planted persona is the id's first one, and
drift alerts raised (false alerts).
``... drift --seeds 3`` -- demo with and without the emerging group: the ``new`` alert.
``... ceiling --seeds 3`` -- demo shop (4,000 persons) per seed, k fixed at 4, ARI over
persons with >= 10 events: the shipped k-means; a mixture of multinomials on the visits'
channels (+ device pseudo-counts weighed 0.3; EM started from k-means; not shipped); the
supervised ceiling (5-fold logistic regression on channel + device, on the groups the
clustering uses -- channel, pace, device -- and on every feature);
and the shipped model's ARI by the person's number of visits and on the persons with at
least 4, 5, 6 visits (the fit on everyone, the ARI over the subset), and a fit on the
persons with at least 5 visits alone.
``... speed --persons 100000`` -- the whole ``personas`` analysis (features on DuckDB, fit,
cards, 4 periods over time) on a demo of that many persons (cached in benchmarks/data/).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

import wegweiser
from wegweiser.events.demo import generate

HERE = Path(__file__).resolve().parent


def project(folder: Path, persons: int, seed: int, **options: object) -> tuple[Path, dict]:
    """A demo project (cached by its parameters) and its truth."""
    tag = "-".join(f"{k}{v}" for k, v in sorted(options.items()))
    path = folder / f"personas-{persons}-{seed}-{tag}"
    truth_file = path / "truth.json"
    if not truth_file.is_file():
        data = generate(persons, seed=seed, **options)  # type: ignore[arg-type]
        with wegweiser.Project.init(path) as proj:
            proj.import_events(data.events)
        truth_file.write_text(json.dumps(data.truth), encoding="utf-8")
    return path, json.loads(truth_file.read_text(encoding="utf-8"))


def ari_of(result, truth) -> float:
    from sklearn.metrics import adjusted_rand_score

    m = result.members.merge(result.features[["person_id", "events"]])
    m = m[m["events"] >= 10]
    return float(
        adjusted_rand_score(m["person_id"].map(truth["persona_of"]).fillna("?"), m["persona"])
    )


def recovery(args) -> None:
    rows = []
    for seed in range(args.seeds):
        folder, truth = project(args.work, 4000, seed)
        (folder / "personas.json").unlink(missing_ok=True)
        with wegweiser.open_project(folder) as proj:
            r = proj.analyse("personas", periods=0, method=args.method)
        rows.append({"seed": seed, "k": r.params["chosen_personas"], "ari": ari_of(r, truth)})
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    print(
        f"method {args.method}: ARI mean {frame.ari.mean():.3f} min {frame.ari.min():.3f}; "
        f"k = 4 in {(frame.k == 4).mean():.0%} of {len(frame)} seeds"
    )


def planted(k: int, seed: int, n_per: int = 150):
    """Persons of k groups, each preferring two of 2k channels (45% each, the rest shared)."""
    import ibis

    from wegweiser.analysis.personas import with_journey_columns

    rng = np.random.default_rng(seed)
    prefs = []
    for g in range(k):
        p = np.full(2 * k, 0.1 / (2 * k - 2))
        p[2 * g : 2 * g + 2] = 0.45
        prefs.append(p / p.sum())
    rows = []
    for g in range(k):
        for i in range(n_per):
            for s in range(int(rng.integers(4, 16))):
                ch = f"c{rng.choice(2 * k, p=prefs[g])}"
                rows.append(
                    (
                        f"g{g}-{i}",
                        s,
                        ch,
                        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=s * 30 + g),
                    )
                )
    frame = pd.DataFrame(rows, columns=["person_id", "session", "channel", "timestamp"])
    return with_journey_columns(ibis.memtable(frame))


def planted_k(args) -> None:
    from wegweiser.analysis.personas import personas

    for k in (3, 5):
        right = 0
        for seed in range(args.seeds):
            r = personas(planted(k, seed), periods=0, min_events=1, seed=seed)
            right += r.params["chosen_personas"] == k
        print(
            f"{k} planted: right number in {right}/{args.seeds} seeds ({right / args.seeds:.0%})",
            flush=True,
        )


def stability(args) -> None:
    for seed in range(args.seeds):
        folder, _truth = project(args.work, 12000, seed, days=360)
        (folder / "personas.json").unlink(missing_ok=True)
        with wegweiser.open_project(folder) as proj:
            r = proj.analyse("personas", periods=12)
            period_members = _period_members(proj, r)
        first: dict[int, str] = {}
        kept = total = 0
        for _period, frame in period_members:
            dom = frame.groupby("persona")["truth"].agg(lambda s: Counter(s).most_common(1)[0][0])
            for pid, persona in dom.items():
                first.setdefault(pid, persona)
                kept += first[pid] == persona
                total += 1
        print(
            f"seed {seed}: ids kept {kept}/{total} ({kept / total:.1%}); alerts "
            f"{len(r.drift)}: {r.drift.to_dict('records')}",
            flush=True,
        )


def _period_members(proj, r):
    """Per period: its persons' persona (matched id) and planted persona, by running the
    over-time steps again (the analysis keeps only counts per period)."""
    from wegweiser.analysis._persona_features import person_features
    from wegweiser.analysis._persona_model import PersonaModel
    from wegweiser.analysis._persona_time import _period, _start, _State
    from wegweiser.analysis._time import epoch_us
    from wegweiser.analysis.personas import after_purchase_phases
    from wegweiser.analysis.result import to_frame

    truth = json.loads((proj.path / "truth.json").read_text(encoding="utf-8"))
    journey = proj.journey()
    after = after_purchase_phases(proj.config)
    feats = to_frame(person_features(journey, min_events=5, after_phases=after))
    model = PersonaModel().fit(feats)
    us = epoch_us(journey.timestamp)
    b = to_frame(journey.aggregate(lo=us.min(), hi=us.max())).iloc[0]
    lo, hi = int(b["lo"]), int(b["hi"]) + 1
    edges = [lo + (hi - lo) * i // 12 for i in range(13)]
    state = _State(list(range(1, model.n_personas_ + 1)))
    out = []
    for i in range(12):
        part = journey.filter((us >= edges[i]) & (us < edges[i + 1]))
        f = to_frame(person_features(part, min_events=5, after_phases=after))
        f = f.sort_values("person_id").reset_index(drop=True)
        for c in model.feature_names_:
            if c not in f:
                f[c] = 0.0
        f = f[["person_id", *model.feature_names_]]
        x = model.transform(f)
        if state.centroids is None:
            _start(state, model, x)
        _period(
            state,
            model,
            f,
            x,
            str(i),
            share_change=0.1,
            min_share=0.03,
            min_jaccard=0.75,
            n_probe=4,
        )
        m = state.members
        out.append(
            (
                i,
                pd.DataFrame(
                    {"persona": m.to_numpy(), "truth": m.index.map(truth["persona_of"]).fillna("?")}
                ),
            )
        )
    return out


def drift(args) -> None:
    for seed in range(args.seeds):
        for emerging in (False, True):
            folder, _truth = project(args.work, 4000, seed, emerging=emerging)
            (folder / "personas.json").unlink(missing_ok=True)
            with wegweiser.open_project(folder) as proj:
                r = proj.analyse("personas")
            alerts = r.drift.to_dict("records")
            print(f"seed {seed} emerging={emerging}: {len(alerts)} alerts {alerts}", flush=True)


def _multinomial_mixture(blocks, start, k, iters=150, alpha=0.5):
    """EM for a mixture of multinomials: ``blocks`` (count matrices, each its own simplex),
    started from the labels ``start``; the most likely component per row."""
    r = np.eye(k)[start]
    for _ in range(iters):
        ll = np.log(r.mean(axis=0) + 1e-9)[None, :].repeat(len(start), axis=0)
        for c in blocks:
            p = r.T @ c + alpha
            ll = ll + c @ np.log(p / p.sum(axis=1, keepdims=True)).T
        ll -= ll.max(axis=1, keepdims=True)
        r = np.exp(ll)
        r /= r.sum(axis=1, keepdims=True)
    return r.argmax(axis=1)


def ceiling(args) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import cross_val_predict
    from sklearn.preprocessing import StandardScaler

    from wegweiser.analysis._persona_features import person_features
    from wegweiser.analysis._persona_model import DEFAULT_WEIGHTS, PersonaModel, group_of
    from wegweiser.analysis.personas import after_purchase_phases
    from wegweiser.analysis.result import to_frame

    for seed in range(args.seeds):
        folder, truth = project(args.work, 4000, seed)
        with wegweiser.open_project(folder) as proj:
            after = after_purchase_phases(proj.config)
            feats = to_frame(person_features(proj.journey(), min_events=5, after_phases=after))
        model = PersonaModel(n_personas=4).fit(feats)
        f = feats.set_index("person_id").loc[model.person_ids_].reset_index()
        y = f["person_id"].map(truth["persona_of"]).fillna("?").to_numpy()
        keep = (f["events"] >= 10).to_numpy()

        def ari(labels, keep=keep, y=y):
            return adjusted_rand_score(y[keep], np.asarray(labels)[keep])

        names = model.feature_names_
        cols = {g: [n for n in names if group_of(n) == g] for g in ("channel", "device")}
        visits = f["sessions"].to_numpy(float)[:, None]
        mix = _multinomial_mixture(
            [f[cols["channel"]].to_numpy(float) * visits,
             f[cols["device"]].to_numpy(float) * visits * 0.3], model.labels_ - 1, 4)
        raw = model._raw(f)
        sup = {}
        clustered = [i for i, n in enumerate(names) if DEFAULT_WEIGHTS.get(group_of(n), 0) > 0]
        old_set = [i for i, n in enumerate(names) if group_of(n) in ("channel", "device")]
        for label, idx in (("channel+device", old_set), ("clustered", clustered),
                           ("all", list(range(len(names))))):
            x = StandardScaler().fit_transform(raw[:, idx])
            sup[label] = ari(cross_val_predict(LogisticRegression(max_iter=2000), x, y, cv=5))
        bins = pd.cut(f["sessions"], [0, 3, 6, 10, 20, 10_000])
        by = {str(b): round(adjusted_rand_score(y[keep & (bins == b).to_numpy()],
                                                model.labels_[keep & (bins == b).to_numpy()]), 3)
              for b in bins.cat.categories}
        print(f"seed {seed}: k-means {ari(model.labels_):.3f}; multinomial mixture "
              f"{ari(mix):.3f}; supervised channel+device {sup['channel+device']:.3f}, "
              f"clustered groups {sup['clustered']:.3f}, all features {sup['all']:.3f}; "
              f"k-means by visits {by}", flush=True)
        sessions = f["sessions"].to_numpy()
        least = {k: (round(ari(model.labels_, keep=keep & (sessions >= k)), 3),
                     f"{(keep & (sessions >= k)).sum() / keep.sum():.0%}") for k in (4, 5, 6)}
        print(f"seed {seed}: k-means on persons with at least k visits (ARI, share of the "
              f"persons with >= 10 events): {least}", flush=True)
        enough = feats[feats["sessions"] >= 5]  # the fit on them alone: "unassigned" below
        alone = PersonaModel(n_personas=4).fit(enough)
        g = enough.set_index("person_id").loc[alone.person_ids_].reset_index()
        kept = (g["events"] >= 10).to_numpy()
        truth_g = g["person_id"].map(truth["persona_of"]).fillna("?").to_numpy()
        print(f"seed {seed}: k-means fitted on the persons with >= 5 visits only: ARI "
              f"{adjusted_rand_score(truth_g[kept], alone.labels_[kept]):.3f}", flush=True)


def speed(args) -> None:
    folder, _ = project(args.work, args.persons, 0)
    (folder / "personas.json").unlink(missing_ok=True)
    with wegweiser.open_project(folder) as proj:
        proj.journey()  # materialised once at import time in real use; not timed
        t, cpu = time.perf_counter(), time.process_time()
        r = proj.analyse("personas")
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(
        f"{args.persons:,} simulated persons, {r.params['persons']:,} clustered: "
        f"{seconds:.1f} s wall, {cpu:.1f} s CPU (k = {r.params['chosen_personas']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "what", choices=["recovery", "planted", "stability", "drift", "ceiling", "speed"]
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--method", default="kmeans")
    parser.add_argument("--work", type=Path, default=HERE / "data")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    {
        "recovery": recovery,
        "planted": planted_k,
        "stability": stability,
        "drift": drift,
        "ceiling": ceiling,
        "speed": speed,
    }[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
