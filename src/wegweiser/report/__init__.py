"""The journey report: one self-contained HTML file, in German or English, that works offline.

:func:`build_report` gathers the data (:mod:`wegweiser.report.gather`: overview KPIs,
journey map and phase flow, funnel and drop-offs, top paths, attribution with ROAS,
retention cohorts, data quality), builds the sections from it (:mod:`wegweiser.report.sections`,
charts and words from :mod:`wegweiser.present`) and renders
``templates/report.html.j2``: inline CSS, plotly.js inlined once, every figure as JSON drawn
by ``Plotly.newPlot``; nothing is fetched from the network. :func:`write_report` writes it.

>>> LANGUAGES
('de', 'en')
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.present.i18n import LANGUAGES, check_lang, day, t

if TYPE_CHECKING:
    from wegweiser.project import Project
    from wegweiser.report.gather import Progress, ReportData

__all__ = ["LANGUAGES", "build_report", "default_path", "render", "write_report"]


def default_path(project: Project, lang: str) -> Path:
    """Where :func:`write_report` writes without ``out``: ``<project>/report-<lang>.html``."""
    return project.path / f"report-{check_lang(lang)}.html"


def build_report(project: Project, *, lang: str = "en", progress: Progress | None = None
                 ) -> str:
    """The report of ``project`` as one HTML document in ``lang`` (``de`` or ``en``);
    ``progress(done, total, step)`` hears of each step (:func:`~.gather.gather`)."""
    from wegweiser.report.gather import gather

    check_lang(lang)
    return render(gather(project, progress=progress), lang=lang)


def render(data: ReportData, *, lang: str, now: datetime | None = None) -> str:
    """Render gathered report data (see :func:`build_report`) as HTML in ``lang``."""
    import jinja2

    from wegweiser import __version__
    from wegweiser.report.sections import sections

    check_lang(lang)
    parts = sections(data, lang)
    has_figures = any(b["kind"] == "figure" for s in parts for b in s["blocks"])
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wegweiser.report", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    period = ""
    if data.first_event is not None and data.last_event is not None:
        period = t("report.period", lang, start=day(data.first_event, lang),
                   end=day(data.last_event, lang))
    context: dict[str, Any] = {
        "lang": lang, "version": __version__, "name": data.name,
        "title": t("report.title", lang), "period": period,
        "generated": t("report.generated", lang, date=day(now or datetime.now(UTC), lang),
                       version=__version__),
        "contents": t("report.contents", lang), "no_data": t("report.no_data", lang),
        "offline": t("report.offline", lang), "sections": parts, "empty": data.empty,
        "has_figures": has_figures, "plotly_js": _plotly_js() if has_figures else "",
    }
    return env.get_template("report.html.j2").render(**context)


def write_report(
    project: Project, out: str | os.PathLike[str] | None = None, *, lang: str = "en",
    progress: Progress | None = None,
) -> Path:
    """Write the report of ``project`` to ``out`` (default :func:`default_path`); returns the
    path written. ``progress`` as for :func:`build_report`."""
    path = Path(out) if out is not None else default_path(project, lang)
    html = build_report(project, lang=lang, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    # the report holds personal data (paths, persons): readable by the owner only
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(html)
    tmp.replace(path)
    return path


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    js: str = get_plotlyjs()
    return js.replace("</script", "<\\/script")

