"""Feedback text understanding: accuracy on the labelled sets, throughput, cached re-runs.

    python benchmarks/bench_feedback.py [--texts 1000] [--threads 0]

Accuracy (tests/feedback/*.tsv; definitions in wegweiser.feedback.evaluate):
* embedding head, 5-fold cross-validated on labelled_{de,en}.tsv (as tests/feedback);
* the shipped embedding head on holdout_{de,en}.tsv (written after the head and lexicon);
* the lexicon model on both (it was written with the labelled set in view);
* VADER (vaderSentiment, English only) for comparison, when it is installed.
Throughput: ``understand()`` on ``--texts`` distinct texts (the labelled sentences with a
running number appended), uncached, then again from the in-memory cache, then from the
SQLite cache file in a fresh cache object. Network is never used.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent / "tests" / "feedback"


def _accuracy() -> list[tuple[str, str, str, dict[str, float]]]:
    from wegweiser.feedback import embedding, sentiment
    from wegweiser.feedback.embedding import read_labelled
    from wegweiser.feedback.evaluate import metrics

    out = []
    sets = {(n, lang): read_labelled(HERE / f"{n}_{lang}.tsv")
            for n in ("labelled", "holdout") for lang in ("de", "en")}
    x = {k: embedding.embed(v[0]) for k, v in sets.items()}
    # 5-fold CV, both languages together
    xs = np.vstack([x["labelled", "de"], x["labelled", "en"]])
    labels = sets["labelled", "de"][1] + sets["labelled", "en"][1]
    langs = ["de"] * len(sets["labelled", "de"][1]) + ["en"] * len(sets["labelled", "en"][1])
    fold = np.arange(len(labels)) % 5
    got: dict[str, tuple[list[str], list[str], list[float]]] = {"de": ([], [], []),
                                                               "en": ([], [], [])}
    for k in range(5):
        train = fold != k
        head = embedding.fit_head(xs[train], [lab for lab, t in zip(labels, train, strict=True)
                                              if t])
        idx = np.flatnonzero(~train)
        for i, p in zip(idx, head.probabilities(xs[idx]), strict=True):
            g, pr, sc = got[langs[i]]
            g.append(labels[i])
            pr.append(sentiment.LABELS[int(p.argmax())])
            sc.append(float(p[0] - p[2]))
    for lang in ("de", "en"):
        out.append(("embedding (e5-small q4 + head)", "labelled, 5-fold CV", lang,
                    metrics(*got[lang])))
    head = embedding.shipped_head()
    for lang in ("de", "en"):
        texts, gold = sets["holdout", lang]
        p = head.probabilities(x["holdout", lang])
        out.append(("embedding (e5-small q4 + head)", "holdout", lang, metrics(
            gold, [sentiment.LABELS[int(i)] for i in p.argmax(axis=1)], list(p[:, 0] - p[:, 2]))))
    for name in ("labelled", "holdout"):
        for lang in ("de", "en"):
            texts, gold = sets[name, lang]
            found = [sentiment.classify(t, lang) for t in texts]
            where = "labelled (tuning set)" if name == "labelled" else "holdout"
            out.append(("lexicon", where, lang, metrics(gold, [s.label for s in found],
                                                        [s.score for s in found])))
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return out
    vader = SentimentIntensityAnalyzer()
    for name in ("labelled", "holdout"):
        texts, gold = sets[name, "en"]
        scores = [vader.polarity_scores(t)["compound"] for t in texts]
        pred = ["positive" if s >= 0.05 else "negative" if s <= -0.05 else "neutral"
                for s in scores]
        out.append(("VADER 3.3.2 (comparison)", name, "en", metrics(gold, pred, scores)))
    return out


def _throughput(n: int) -> list[tuple[str, int, float]]:
    from wegweiser.feedback import TextCache, understand
    from wegweiser.feedback.embedding import read_labelled

    base = [t for f in sorted(HERE.glob("*.tsv")) for t in read_labelled(f)[0]]
    texts = [f"{base[i % len(base)]} ({i})" for i in range(n)]
    rows = []
    for model in ("lexicon", "embedding"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cache.sqlite"
            cache = TextCache(path)
            understand(texts[:2], model=model, cache=TextCache())  # load the model
            t = time.perf_counter()
            understand(texts, model=model, cache=cache)
            rows.append((f"{model}: uncached", n, n / (time.perf_counter() - t)))
            t = time.perf_counter()
            understand(texts, model=model, cache=cache)
            rows.append((f"{model}: cached (memory)", n, n / (time.perf_counter() - t)))
            cache.close()
            again = TextCache(path)
            t = time.perf_counter()
            understand(texts, model=model, cache=again)
            rows.append((f"{model}: cached (SQLite file, new process state)", n,
                         n / (time.perf_counter() - t)))
            again.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--no-accuracy", action="store_true", help="throughput only")
    parser.add_argument("--threads", type=int, default=0,
                        help="engine threads (0: the engine's default, all cores)")
    args = parser.parse_args()
    if args.threads:
        os.environ["WEGWEISER_EMBED_THREADS"] = str(args.threads)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start")
    if not args.no_accuracy:
        print("\n| model | data | lang | n | accuracy | polar accuracy | macro-F1 |")
        print("|---|---|---|---:|---:|---:|---:|")
        for model, data, lang, m in _accuracy():
            print(f"| {model} | {data} | {lang} | {m['n']:.0f} | {m['accuracy']:.3f} | "
                  f"{m['polar_accuracy']:.3f} | {m['macro_f1']:.3f} |")
    print("\n| run | texts | texts/s |")
    print("|---|---:|---:|")
    for name, n, rate in _throughput(args.texts):
        print(f"| {name} | {n:,} | {rate:,.0f} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
