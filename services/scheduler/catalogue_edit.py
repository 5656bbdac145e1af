"""Apply one ``ResourceChanged`` to a region's catalogue (plain JSON in, out).

The result is validated as a whole catalogue, so a change that breaks a
reference (equipment at a site that was removed) is refused, not stored.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError

from schemas.common import describe_errors
from schemas.events import RegionCatalogue, ResourceChanged

LISTS = {"equipment": "equipment", "container": "containers", "staff": "staff", "site": "sites"}


class CatalogueChangeError(ValueError):
    """The change would leave the catalogue inconsistent; ``errors`` name the fields.

    A field of the changed object itself is ``data.value.<field>``; anything
    else the change broke is named by its place in the region's catalogue.
    """

    def __init__(self, errors: list[dict[str, str]]) -> None:
        first = errors[0]
        super().__init__(f"{first['field']}: {first['message']}")
        self.errors = errors


class NothingToRemove(LookupError):
    """A remove of an id the catalogue does not have (changes nothing)."""


def apply_change(catalogue: dict[str, Any], change: ResourceChanged) -> dict[str, Any]:
    data = copy.deepcopy(catalogue)
    if change.kind in LISTS:
        key = LISTS[change.kind]
        before = data.get(key) or []
        items = [x for x in before if x.get("id") != change.id]
        if change.op == "remove" and len(items) == len(before):
            raise NothingToRemove(f"no {change.kind} '{change.id}' to remove")
        if change.op == "upsert":
            if not isinstance(change.value, dict):
                message = f"{change.kind} upsert needs an object value"
                raise CatalogueChangeError([{"field": "data.value", "message": message}])
            items.append({**change.value, "id": change.id})
        data[key] = items
    elif change.kind == "calendar":
        calendars = dict(data.get("calendars") or {})
        if change.op == "upsert":
            calendars[change.id] = change.value if isinstance(change.value, list) else []
        elif calendars.pop(change.id, None) is None:
            raise NothingToRemove(f"no calendar '{change.id}' to remove")
        data["calendars"] = calendars
    else:  # closed: the value is the whole new list of closed ranges
        data["closed"] = (
            change.value if change.op == "upsert" and isinstance(change.value, list) else []
        )
    try:
        checked = RegionCatalogue.model_validate(data, strict=False)
    except ValidationError as exc:
        raise CatalogueChangeError(name_value_fields(describe_errors(exc), change, data)) from None
    return checked.model_dump(mode="json", by_alias=True, exclude_none=True)


def name_value_fields(
    errors: list[dict[str, str]], change: ResourceChanged, catalogue: dict[str, Any]
) -> list[dict[str, str]]:
    """Errors about the upserted object, named as fields of the event (``data.value.seats``);
    errors elsewhere keep their place in the changed ``catalogue``."""
    if change.op != "upsert" or change.kind not in LISTS:
        return errors
    key = LISTS[change.kind]
    ids = [x.get("id") for x in catalogue.get(key) or []]
    if change.id not in ids:
        return errors
    at = f"{key}[{ids.index(change.id)}]"
    out = []
    for e in errors:
        field = e["field"]
        if field == at:
            out.append({**e, "field": "data.value"})
        elif field.startswith(at + "."):
            out.append({**e, "field": "data.value." + field.removeprefix(at + ".")})
        else:
            out.append(e)
    return out
