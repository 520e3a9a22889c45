"""Connected components on Spark: the graph part of identity stitching on the Spark engine.

:func:`wegweiser.events.identity.stitch_codes` resolves links into persons with the same
safeguards on every engine; only the connected components of the link graph are computed by
the engine. On Spark they are found by min-label propagation with pointer jumping, over
DataFrames:

1. every id (a code ``0 .. n-1``) starts with its own code as its label;
2. each round, an id takes the smallest label among its own and its neighbours' labels,
   then the label of that label (pointer jumping, which halves long chains);
3. labels only ever decrease, so when a round leaves their sum unchanged nothing changed:
   each id then carries the smallest code of its component.

Identity graphs are stars and short chains, so that takes a few rounds; each round's labels
are checkpointed so the query plan stays short. No Python UDFs: executors need no Python
packages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa


def connected_components(
    session: Any, src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """The component label of each of the ``n`` ids (the smallest code in its component),
    given undirected edges ``src[i] -- dst[i]`` between codes ``0 .. n-1``."""
    from pyspark.sql import functions as F

    labels_out = np.arange(n, dtype=np.int64)
    if n == 0 or len(src) == 0:
        return labels_out
    pairs = session.createDataFrame(
        pa.table({"a": pa.array(src, pa.int64()), "b": pa.array(dst, pa.int64())})
    )
    edges = (
        pairs.select(F.col("a").alias("src"), F.col("b").alias("dst"))
        .union(pairs.select(F.col("b").alias("src"), F.col("a").alias("dst")))
        .filter("src <> dst")
        .distinct()
        .localCheckpoint()
    )
    # only ids with an edge can change their label
    labels = (
        edges.select(F.col("src").alias("v")).distinct().withColumn("label", F.col("v"))
    ).localCheckpoint()
    total = _label_sum(labels)
    while True:
        reached = edges.join(labels, edges.src == labels.v).select(
            edges.dst.alias("v"), labels.label
        )
        mins = labels.unionByName(reached).groupBy("v").agg(F.min("label").alias("label"))
        jumped = (
            mins.alias("x")
            .join(mins.alias("y"), F.col("x.label") == F.col("y.v"))
            .select(F.col("x.v").alias("v"), F.col("y.label").alias("label"))
            .localCheckpoint()
        )
        new_total = _label_sum(jumped)
        labels = jumped
        if new_total == total:
            break
        total = new_total
    table = labels.toArrow()
    labels_out[table.column("v").to_numpy()] = table.column("label").to_numpy()
    return labels_out


def _label_sum(labels: Any) -> int:
    from pyspark.sql import functions as F

    value = labels.agg(F.sum("label")).first()[0]
    return int(value or 0)
