"""The built-in playbook: one journey per phase of the default phase model (the product
brief, point 8), in German and English, ready to adapt. ``wegweiser journeys init
--playbook`` writes them into the project's ``journeys/`` folder (docs/journeys.md, "The
playbook").

The files are package data next to this module; :func:`write_playbook` copies them, refuses
to overwrite a file unless ``force``, and makes sure the delivery settings name the
retargeting webhook the Preference journey calls (``[webhooks.ad_audience]``).
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_delivery
from wegweiser.orchestrate.settings import DELIVERY_FILE

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PHASES", "playbook_files", "write_playbook"]

PHASES = {
    "awareness": "Awareness",
    "consideration": "Consideration",
    "preference": "Preference",
    "purchase": "Purchase",
    "after_sale": "After-Sale",
    "loyalty": "Loyalty/Advocacy",
}
"""Journey name -> the phase of the default phase model it serves."""

WEBHOOK = "ad_audience"


def playbook_files() -> dict[str, str]:
    """File name -> text of every playbook journey, in phase order."""
    folder = resources.files(__name__)
    return {f"{name}.toml": folder.joinpath(f"{name}.toml").read_text(encoding="utf-8")
            for name in PHASES}


def _webhooks_text() -> str:
    return resources.files(__name__).joinpath("_webhooks.toml").read_text(encoding="utf-8")


def write_playbook(project_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the playbook's journeys into ``project_dir/journeys/``; returns the files
    written (the delivery settings among them when they were created or extended).

    An existing journey file of the same name is an error unless ``force`` (then it is
    replaced). Existing delivery settings are kept; the ``ad_audience`` webhook is appended
    when they lack it (without settings, the demo's defaults are written with it).
    """
    from wegweiser.orchestrate.samples import DELIVERY

    folder = project_dir / JOURNEYS_DIR
    files = playbook_files()
    taken = sorted(name for name in files if (folder / name).exists())
    if taken and not force:
        raise InvalidInput(
            f"{folder} already has {', '.join(taken)}; the playbook does not overwrite "
            "journey files. Rename or remove them, or pass --force to replace them")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    delivery = folder / DELIVERY_FILE
    if not delivery.exists():
        delivery.write_text(DELIVERY + _webhooks_text(), encoding="utf-8")
        written.append(delivery)
    elif WEBHOOK not in load_delivery(folder).webhooks:
        with delivery.open("a", encoding="utf-8") as handle:
            handle.write(_webhooks_text())
        written.append(delivery)
    return written
