"""FHIR R4 deliveries: a Bundle (or a lone resource) in JSON, or NDJSON sets of one export.

Counted records are the dataset's resource type (fhir_mapping.COUNTED_TYPE); everything else
travels as auxiliary records (kept in bronze, used for joins, never counted). An NDJSON set is
several files of one export (`encounters__TS.Patient.ndjson`, `…Encounter.ndjson`, …): the file
holding the counted resources is joined with its siblings' resources, while each sibling yields
only its own auxiliary records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hanoi_health_lake.parsers import mojibake
from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers.fhir_mapping import COUNTED_TYPE, Context, is_referral, map_resource
from hanoi_health_lake.parsers.fhir_refs import Resource, ResourceIndex, text
from hanoi_health_lake.parsers.landing_paths import LandingName
from hanoi_health_lake.records import RECORD_ID_FIELD, ParsedRecord, RecordError

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class FhirContent:
    table: str | None
    records: list[ParsedRecord] = field(default_factory=list)
    auxiliary: list[ParsedRecord] = field(default_factory=list)


@dataclass
class _Item:
    """One delivered resource (or an unparseable line) with where it sat in the file."""

    record_no: int
    locator: str
    payload: str
    resource: Resource | None
    full_url: str | None = None
    problem: str | None = None


def _is_counted(resource: Resource, dataset: str) -> bool:
    rtype = resource.get("resourceType")
    if rtype != COUNTED_TYPE[dataset]:
        return False
    return rtype != "ServiceRequest" or is_referral(resource)


def _build(items: list[_Item], name: LandingName, index: ResourceIndex, counted_by_default: bool):
    content = FhirContent(table=None)
    id_field = RECORD_ID_FIELD[name.dataset]
    for item in items:
        res = item.resource
        rtype = res.get("resourceType") if isinstance(res, dict) else None
        if item.problem is None and isinstance(res, dict) and not isinstance(rtype, str):
            item.problem = "the object has no resourceType"
        if item.problem is not None:
            error = RecordError(r.RECORD_MALFORMED, None, item.problem)
            target = content.records if counted_by_default else content.auxiliary
            target.append(
                ParsedRecord(
                    dataset=name.dataset,
                    record_no=item.record_no,
                    locator=item.locator,
                    record_id=None,
                    fields={},
                    payload=item.payload,
                    errors=[error],
                    resource_type=rtype if isinstance(rtype, str) else None,
                )
            )
            continue
        if res is None:
            # A Bundle entry without a resource (a transaction-response status, a DELETE).
            content.auxiliary.append(
                ParsedRecord(
                    dataset=name.dataset,
                    record_no=item.record_no,
                    locator=item.locator,
                    record_id=item.full_url,
                    fields={},
                    payload=item.payload,
                )
            )
            continue
        if _is_counted(res, name.dataset):
            ctx = Context(index=index, facility_code=name.facility_code)
            fields = map_resource(res, name.dataset, ctx, item.full_url)
            mojibake.repair_fields(fields, ctx.errors)  # fields come from joined resources too
            content.records.append(
                ParsedRecord(
                    dataset=name.dataset,
                    record_no=item.record_no,
                    locator=item.locator,
                    record_id=fields.get(id_field),
                    fields=fields,
                    payload=item.payload,
                    errors=ctx.errors,
                    resource_type=rtype,
                    facility_source=ctx.facility_source,
                )
            )
        else:
            content.auxiliary.append(
                ParsedRecord(
                    dataset=name.dataset,
                    record_no=item.record_no,
                    locator=item.locator,
                    record_id=text(res.get("id")) or item.full_url,
                    fields={},
                    payload=item.payload,
                    resource_type=rtype,
                )
            )
    return content


def _describe(resource: Any) -> str:
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        rid = text(resource.get("id"))
        return f"{resource['resourceType']}/{rid}" if rid else resource["resourceType"]
    return "no resource"


def parse_json(document: Any, name: LandingName) -> FhirContent:
    """A Bundle of any type (collection, transaction, searchset, document, …) or one resource."""
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise r.FileRejected(r.UNKNOWN_LAYOUT, "JSON is not a FHIR resource (no resourceType)")
    if document["resourceType"] == "Bundle":
        raw_entries = document.get("entry") or []
        if not isinstance(raw_entries, list):
            raise r.FileRejected(r.UNKNOWN_LAYOUT, "Bundle.entry is not an array")
        entries = [(e if isinstance(e, dict) else {}) for e in raw_entries]
    else:
        entries = [{"resource": document}]
    index = ResourceIndex()
    items: list[_Item] = []
    for n, entry in enumerate(entries, 1):
        res = entry.get("resource")
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        if isinstance(res, dict):
            index.add(res, full_url)
            for contained in res.get("contained") or []:
                if isinstance(contained, dict) and contained.get("resourceType") == "Condition":
                    index.add(contained)
        items.append(
            _Item(
                record_no=n,
                locator=f"entry {n} ({_describe(res)})",
                payload=_dumps(res if isinstance(res, dict) else entry),
                resource=res if isinstance(res, dict) else None,
                full_url=full_url,
                problem=None
                if res is None or isinstance(res, dict)
                else "resource is not an object",
            )
        )
    content = _build(items, name, index, counted_by_default=False)
    content.table = document["resourceType"]
    return content


def _lines(data: bytes) -> list[bytes]:
    return data.removeprefix(b"\xef\xbb\xbf").split(b"\n")  # a BOM is no part of line 1


def _ndjson_items(data: bytes) -> list[_Item]:
    items: list[_Item] = []
    for n, line in enumerate(_lines(data), 1):
        if not line.strip():
            continue
        try:
            payload = line.rstrip(b"\r").decode("utf-8")
            resource = json.loads(payload)
            problem = None if isinstance(resource, dict) else "line is not a JSON object"
        except ValueError as exc:  # includes UnicodeDecodeError
            payload = line.rstrip(b"\r").decode("utf-8", errors="replace")
            resource, problem = None, f"line does not parse: {exc}"
        items.append(_Item(n, f"line {n}", payload, resource, None, problem))
    return items


def resources_of_ndjson(data: bytes) -> Iterable[Resource]:
    """The parseable resources of an NDJSON file (sibling files, read for joins only)."""
    for line in _lines(data):
        if line.strip():
            try:
                resource = json.loads(line)
            except ValueError:
                continue
            if isinstance(resource, dict):
                yield resource


def parse_ndjson(
    data: bytes, name: LandingName, siblings: Callable[[], Iterable[Resource]]
) -> FhirContent:
    """One NDJSON file; `siblings` yields the other files' resources of the same export."""
    items = _ndjson_items(data)
    counted_type = COUNTED_TYPE[name.dataset]
    # A broken line counts as a record when the file is meant to hold counted resources.
    counted_file = name.part in (None, counted_type)
    has_counted = any(
        isinstance(i.resource, dict) and _is_counted(i.resource, name.dataset) for i in items
    )
    index = ResourceIndex()
    if has_counted:  # only counted records are joined; an auxiliary file needs no index
        for item in items:
            if isinstance(item.resource, dict):
                index.add(item.resource)
        for resource in siblings():
            index.add(resource)
    content = _build(items, name, index, counted_by_default=counted_file)
    content.table = name.part or next(
        (i.resource.get("resourceType") for i in items if isinstance(i.resource, dict)), None
    )
    return content
