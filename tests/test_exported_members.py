from __future__ import annotations

import wegweiser


def test_all_is_sorted_and_complete():
    assert wegweiser.__all__ == sorted(wegweiser.__all__)
    public = {n for n in dir(wegweiser) if not n.startswith("_") and n not in
              {"annotations", "config", "errors", "events", "project", "store", "analysis"}}
    public.add("__version__")
    assert public == set(wegweiser.__all__)
