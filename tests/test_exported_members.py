from __future__ import annotations

import types

import wegweiser


def test_all_is_sorted_and_complete():
    assert wegweiser.__all__ == sorted(wegweiser.__all__)
    for name in wegweiser.__all__:  # the lazy names load on first access
        assert getattr(wegweiser, name) is not None
    public = {
        name for name, value in vars(wegweiser).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    public.add("__version__")
    assert public == set(wegweiser.__all__)
    assert set(dir(wegweiser)) >= set(wegweiser.__all__)
