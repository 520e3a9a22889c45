"""The query API (``/api/v1/*``): every analysis of the registry and the store's read-outs
as JSON, described by the OpenAPI spec.

* :mod:`.routes` -- the FastAPI router (one route per analysis, generated; the store routes;
  the write actions for dashboard users);
* :mod:`.queries` -- every route as data (:data:`~.queries.ANALYSES`), :func:`~.queries.run`
  and :func:`~.queries.to_json`, shared with the dashboard;
* :mod:`._store` and :mod:`._params` -- the store read-outs and their parameter models;
* :mod:`.segments` -- the saved segments (list, show, save, delete, members);
* :mod:`.fixes` -- the watched fixes (list, show, save, delete).
* :mod:`.annotations` -- the marked dates of the trend charts (list, add, delete).
* :mod:`.privacy` -- export, erase, anonymise persons; suppression list; retention.
* :mod:`.consent_audit` -- consent changes, the audit log, journey pause/resume.
"""

from __future__ import annotations

from wegweiser.serve.api.annotations import router as _annotations
from wegweiser.serve.api.consent_audit import router as _consent_audit
from wegweiser.serve.api.fixes import router as _fixes
from wegweiser.serve.api.privacy import router as _privacy
from wegweiser.serve.api.routes import router
from wegweiser.serve.api.segments import router as _segments

router.include_router(_segments)
router.include_router(_fixes)
router.include_router(_annotations)
router.include_router(_privacy)
router.include_router(_consent_audit)

__all__ = ["router"]
