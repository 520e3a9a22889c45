"""One in-process benchmark under one source tree: ``run.py --before`` starts it.

``python _tree_child.py BENCH`` (its ``PYTHONPATH`` starting with the tree's ``src/``) reads
run.py's options as a JSON object from stdin, runs ``BENCH.tree_measures(options)`` (the
benchmark's output as usual) and prints, last, one JSON line: ``{"measures": [...],
"cpu_seconds": ..., "peak_rss_mib": ...}`` (the whole process: user + system, all threads).
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
from pathlib import Path

from _common import peak_rss_mib


def main() -> None:
    bench = sys.argv[1]
    options = json.loads(sys.stdin.read())
    options["work"] = Path(options["work"])
    args = argparse.Namespace(**options)
    started = time.perf_counter()
    module = importlib.import_module(bench)
    measures = module.tree_measures(args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    import wegweiser

    print(json.dumps({"measures": measures, "seconds": time.perf_counter() - started,
                      "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "peak_rss_mib": peak_rss_mib(),
                      "wegweiser": str(Path(wegweiser.__file__).parent)}), flush=True)


if __name__ == "__main__":
    main()
