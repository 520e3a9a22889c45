"""The suppression list: salted hashes only, ids and addresses matched as the collector and
the importer see them, kept across processes, a broken file is a clear error."""

from __future__ import annotations

import json

import pytest

from wegweiser.errors import InvalidInput
from wegweiser.events.suppression import SuppressionList, SuppressionWatch


def test_the_list_holds_hashes_and_matches_every_id_field(tmp_path):
    listing = SuppressionList.load(tmp_path)
    assert listing.add(["dev-1", "User-7", " Mia@Shop.DE"]) != []
    assert listing.add(["dev-1"]) == []  # known already
    path = listing.save(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "dev-1" not in text
    assert "mia" not in text.lower()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    again = SuppressionList.load(tmp_path)
    assert again.salt == listing.salt
    assert again.matches({"anonymous_id": "dev-1"})
    assert again.matches({"previous_id": "User-7"})
    assert not again.matches({"user_id": "user-7"})  # ids are case-sensitive
    assert again.matches({"context": json.dumps({"traits": {"email": "mia@shop.de"}})})
    assert again.matches({"traits": {"email": "MIA@shop.de"}})
    assert not again.matches({"user_id": "u-8", "traits": {"email": "ola@shop.de"}})
    assert again.remove([again.hash("dev-1"), "User-7"]) == 2
    assert len(again) == 1


def test_a_running_server_sees_changes(tmp_path):
    watch = SuppressionWatch(tmp_path)
    assert len(watch.get()) == 0
    listing = SuppressionList.load(tmp_path)
    listing.add(["dev-9"])
    listing.save(tmp_path)
    assert watch.get().matches({"anonymous_id": "dev-9"})


def test_a_broken_list_is_an_error_not_an_empty_list(tmp_path):
    (tmp_path / "privacy").mkdir()
    (tmp_path / "privacy" / "suppressed.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="is not a suppression list"):
        SuppressionList.load(tmp_path)
    with pytest.raises(InvalidInput, match="empty id"):
        SuppressionList.empty().add(["  "])
