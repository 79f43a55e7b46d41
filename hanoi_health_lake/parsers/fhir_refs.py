"""Resolving FHIR references within one delivery, and small accessors over resource JSON.

A reference can name its target by Bundle fullUrl (`urn:uuid:…`, an absolute URL), by
`Type/id` (possibly absolute or versioned), by `#id` for a contained resource, or logically by
an identifier. The index answers all of them for the resources of one file or NDJSON set.
"""

from __future__ import annotations

from typing import Any

Resource = dict[str, Any]


def dicts(value: Any) -> list[dict]:
    """The dict items of a FHIR array (tolerating a lone object where an array belongs)."""
    if type(value) is list:
        return [v for v in value if type(v) is dict]
    return [value] if type(value) is dict else []


def text(value: Any) -> str | None:
    if type(value) is str:
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def identifier(resource: Resource | None, system: str) -> str | None:
    for ident in dicts((resource or {}).get("identifier")):
        if ident.get("system") == system and text(ident.get("value")):
            return text(ident["value"])
    return None


def first_identifier(resource: Resource | None) -> str | None:
    for ident in dicts((resource or {}).get("identifier")):
        if text(ident.get("value")):
            return text(ident["value"])
    return None


def logical_identifier(ref: Any, system: str | None = None) -> str | None:
    """The identifier a reference carries itself (`{"identifier": {system, value}}`)."""
    ident = ref.get("identifier") if isinstance(ref, dict) else None
    if not isinstance(ident, dict):
        return None
    if system is not None and ident.get("system") != system:
        return None
    return text(ident.get("value"))


def codings(concept: Any) -> list[dict]:
    """Codings of a CodeableConcept, or the Coding itself when given one (ImagingStudy.modality)."""
    if not isinstance(concept, dict):
        return []
    if "coding" in concept:
        return dicts(concept.get("coding"))
    return [concept] if {"code", "display", "system"} & concept.keys() else []


def code(concept: Any, system: str | None = None) -> str | None:
    for c in codings(concept):
        if (system is None or c.get("system") == system) and text(c.get("code")):
            return text(c["code"])
    return None


def concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    found = text(concept.get("text"))
    if found:
        return found
    for c in codings(concept):
        if text(c.get("display")):
            return text(c["display"])
    return None


def coded_values(resource: Resource) -> dict[str, str]:
    """Every `system → code` (Coding) and `system → value` (Identifier) anywhere in a resource.

    Vendors put QĐ 130 codes (discharge type, route, …) in different elements or extensions;
    matching on the system wherever it sits is what keeps the mapping stable.
    """
    found: dict[str, str] = {}
    stack: list[Any] = [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            system = node.get("system")
            if isinstance(system, str):
                value = text(node.get("code")) or text(node.get("value"))
                if value and system not in found:
                    found[system] = value
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in reversed(node) if isinstance(v, dict | list))
    return found


def local_key(reference: str) -> str | None:
    """`http://x/fhir/Patient/1/_history/2` → `Patient/1`."""
    ref = reference.split("/_history/")[0].rstrip("/")
    parts = ref.split("/")
    return f"{parts[-2]}/{parts[-1]}" if len(parts) >= 2 and parts[-2][:1].isupper() else None


def reference_id(ref: Any) -> str | None:
    """The logical id a reference points at, when it cannot be resolved (`Encounter/e1` → e1)."""
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        return None
    key = local_key(ref["reference"])
    return key.split("/", 1)[1] if key else None


class ResourceIndex:
    def __init__(self) -> None:
        self._by_ref: dict[str, Resource] = {}
        self._by_identifier: dict[tuple[str, str], Resource] = {}
        self._by_encounter: dict[str, list[Resource]] = {}
        # An identifier without a system belongs to the first encounter that asks for it.
        self._unsystemed_owner: dict[str, Resource] = {}
        # Patients already mapped, by id() of their resource (fhir_mapping._person).
        self.people: dict[int, Any] = {}

    def add(self, resource: Resource, full_url: str | None = None) -> None:
        rtype, rid = resource.get("resourceType"), text(resource.get("id"))
        if isinstance(full_url, str) and full_url:
            self._by_ref.setdefault(full_url, resource)
        if isinstance(rtype, str) and rid:
            self._by_ref.setdefault(f"{rtype}/{rid}", resource)
        for ident in dicts(resource.get("identifier")):
            system, value = ident.get("system"), text(ident.get("value"))
            if isinstance(system, str) and value:
                self._by_identifier.setdefault((system, value), resource)
        if rtype == "Condition":
            for key in self._ref_keys(resource.get("encounter")):
                self._by_encounter.setdefault(key, []).append(resource)

    @staticmethod
    def _ref_keys(ref: Any) -> list[str]:
        if not isinstance(ref, dict):
            return []
        keys = []
        if isinstance(ref.get("reference"), str):
            keys.append(ref["reference"])
            if key := local_key(ref["reference"]):
                keys.append(key)
        ident = ref.get("identifier")
        if isinstance(ident, dict) and text(ident.get("value")):
            keys.append(f"{ident.get('system')}|{text(ident.get('value'))}")
        return keys

    def resolve(self, ref: Any, container: Resource | None = None) -> Resource | None:
        if not isinstance(ref, dict):
            return None
        target = ref.get("reference")
        if isinstance(target, str):
            if target.startswith("#"):
                for res in dicts((container or {}).get("contained")):
                    if res.get("id") == target[1:]:
                        return res
                return None
            found = self._by_ref.get(target)
            if found is None and (key := local_key(target)):
                found = self._by_ref.get(key)
            if found is not None:
                return found
        ident = ref.get("identifier")
        if isinstance(ident, dict) and isinstance(ident.get("system"), str):
            return self._by_identifier.get((ident["system"], text(ident.get("value")) or ""))
        return None

    def conditions_of(self, encounter: Resource, full_url: str | None) -> list[Resource]:
        """Conditions that point at this encounter through Condition.encounter.

        A key links only the encounter a reference by that key resolves to (the first resource
        holding it, as in `resolve`): a Bundle that repeats one fullUrl, id or identifier on
        many encounters (invalid, but delivered) must not give every one of them every
        condition — that made the parse quadratic in output and cubic in time. Each condition
        is then linked to at most one encounter per key, so the work stays linear.
        """
        keys: list[str] = []
        if full_url and self._by_ref.get(full_url) is encounter:
            keys.append(full_url)
        rid = text(encounter.get("id"))
        if rid and self._by_ref.get(f"Encounter/{rid}") is encounter:
            keys.append(f"Encounter/{rid}")
        for ident in dicts(encounter.get("identifier")):
            system, value = ident.get("system"), text(ident.get("value"))
            if not value:
                continue
            key = f"{system}|{value}"
            owner = (
                self._by_identifier.get((system, value))
                if isinstance(system, str)
                else self._unsystemed_owner.setdefault(key, encounter)
            )
            if owner is encounter:
                keys.append(key)
        seen: dict[int, Resource] = {}
        for key in keys:
            for cond in self._by_encounter.get(key, ()):
                seen.setdefault(id(cond), cond)
        return list(seen.values())
