"""Apply one ``ResourceChanged`` to a region's catalogue (plain JSON in, out).

The result is validated as a whole catalogue, so a change that breaks a
reference (equipment at a site that was removed) is refused, not stored.
"""

from __future__ import annotations

import copy
from typing import Any

from schemas.events import RegionCatalogue, ResourceChanged

LISTS = {"equipment": "equipment", "container": "containers", "staff": "staff", "site": "sites"}


class CatalogueChangeError(ValueError):
    """The change would leave the catalogue inconsistent."""


def apply_change(catalogue: dict[str, Any], change: ResourceChanged) -> dict[str, Any]:
    data = copy.deepcopy(catalogue)
    if change.kind in LISTS:
        key = LISTS[change.kind]
        items = [x for x in data.get(key) or [] if x.get("id") != change.id]
        if change.op == "upsert":
            if not isinstance(change.value, dict):
                raise CatalogueChangeError(f"{change.kind} upsert needs an object value")
            items.append({**change.value, "id": change.id})
        data[key] = items
    elif change.kind == "calendar":
        calendars = dict(data.get("calendars") or {})
        if change.op == "upsert":
            calendars[change.id] = change.value if isinstance(change.value, list) else []
        else:
            calendars.pop(change.id, None)
        data["calendars"] = calendars
    else:  # closed: the value is the whole new list of closed ranges
        data["closed"] = (
            change.value if change.op == "upsert" and isinstance(change.value, list) else []
        )
    try:
        checked = RegionCatalogue.model_validate(data, strict=False)
    except ValueError as exc:
        raise CatalogueChangeError(str(exc).splitlines()[0]) from exc
    return checked.model_dump(mode="json", by_alias=True, exclude_none=True)
