"""What the common parameters cost: each analysis plain and scoped (filters, a 30-day range,
the previous period, a segment, a breakdown by segment), warm medians of 3 runs.

    wegweiser demo --project /tmp/big --persons 20000
    python benchmarks/bench_scope.py /tmp/big

Not part of ``run.py`` (it needs a project, not a generated event file).
"""

from __future__ import annotations

import statistics
import sys
import time

import wegweiser
from wegweiser.analysis.result import to_value
from wegweiser.analysis.segments import Segment

STEPS = ["product_view", "add_to_cart", "order_completed"]


def main(folder: str) -> None:
    with wegweiser.open_project(folder) as p:
        print(f"events {p.event_count():,}")
        p.save_segment(Segment(name="bench-carts", did=["add_to_cart"],
                               did_not=["order_completed"]), replace=True)
        last = to_value(p.journey().timestamp.max()).date().isoformat()
        month = {"last": "30d", "until": last}
        cases = {
            "funnel": ("funnel", {"steps": STEPS}),
            "funnel, where device + property": ("funnel", {"steps": STEPS, "where": [
                "device=mobile", 'property:"a.b" is not set']}),
            "funnel, last 30d": ("funnel", {"steps": STEPS, **month}),
            "funnel, last 30d + previous": ("funnel", {"steps": STEPS, **month,
                                                       "compare_previous": True}),
            "funnel, segment": ("funnel", {"steps": STEPS, "segment": "bench-carts"}),
            "kpis": ("kpis", {}),
            "kpis, last 30d + previous": ("kpis", {**month, "compare_previous": True}),
            "conversion": ("conversion", {}),
            "conversion, by segment": ("conversion", {"by_segment": ["bench-carts"]}),
        }
        print("| case | warm median s |\n|---|---:|")
        for label, (name, params) in cases.items():
            times = []
            for _ in range(3):
                start = time.perf_counter()
                p.analyse(name, params)
                times.append(time.perf_counter() - start)
            print(f"| {label} | {statistics.median(times):.2f} |")
        p.delete_segment("bench-carts")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
