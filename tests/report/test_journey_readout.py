"""The report's journey readout subsection: words in both languages, pinned by golden files."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.report.test_snapshots import block_view
from wegweiser.orchestrate.readouts import READOUT_COLUMNS, SEND_TIME_COLUMNS, JourneyReadout
from wegweiser.report.journey_readout import readout_blocks


def _readouts() -> list[JourneyReadout]:
    rows = [("reminder", "deal", "conversion", 1200, 2000, 300, 0, 0.05, 0.082, 0.032, 0.011,
             0.053, 0.001, "better"),
            ("reminder", "deal", "revenue", 1200, 2000, 300, 0, 4.1, 5.2, 1.1, -0.4, 2.6, 0.4,
             "inconclusive")]
    steps = pd.DataFrame(columns=["step", "channel", "variant", "state", "messages"])
    send = pd.DataFrame([("reminder", "open_rate", 1800, 200, 0.31, 0.27, 0.04, -0.03, 0.11,
                          0.6, "inconclusive")], columns=list(SEND_TIME_COLUMNS))
    control = [("(all)", "control_group", "conversion", 3000, 2700, 300, 300, 0.05, 0.06, 0.01,
                -0.02, 0.04, 0.9, "inconclusive")]
    return [JourneyReadout("reminder", pd.DataFrame(rows, columns=list(READOUT_COLUMNS)), steps,
                           send),
            JourneyReadout("(all)", pd.DataFrame(control, columns=list(READOUT_COLUMNS)),
                           steps, send.iloc[:0])]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_readout_blocks(snapshot, lang):
    blocks = readout_blocks(_readouts(), lang)
    table = blocks[2]
    assert len(table["rows"]) == 3
    assert table["rows"][2][0] == ("Globale Kontrollgruppe" if lang == "de"
                                   else "Global control group")
    assert blocks[-1]["rows"][0][1] == ("Öffnungsrate" if lang == "de" else "Open rate")
    snapshot.assert_match([block_view(b) for b in blocks], f"{lang}-readout")


def test_no_readouts_say_so():
    blocks = readout_blocks([], "en")
    assert blocks[-1] == {"kind": "note", "text": "No journey has entrants yet."}
