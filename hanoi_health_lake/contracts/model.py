"""Data contracts: `data_contracts/<table>.yml` loaded into typed objects, after a schema check.

A contract describes one governed table: its columns (type, required, unique, pattern, enum,
min/max, pii) and its rules, each with a stable id, a Kahn category, a severity and a Vietnamese
and English description. A rule applies either to a staged dataset (record level: failing rows
are quarantined when the severity is `error`) or to the built silver table (`silver.<table>`,
batch level). Every rule says how it is checked (`check.kind`):

- `not_null`: the listed columns, or every `required: true` column, are present;
- `pattern` / `enum` / `range`: the listed columns match their own pattern, enum or min/max
  (an `enum` is a list, or the name of a standard's code list in NAMED_ENUMS: `dicom_modality`);
- `unique`: the listed columns together are unique (rows with a null among them are skipped);
- `derived`: a named cross-field or lookup check (contracts/derived.py) with its parameters;
- `parse_error`: the parser reported this rule id for the row (a value that did not parse).

Rules several contracts check alike (a parser's format errors, the facility code's pattern, the
citizen id) are written once in `shared/rules.yml` beside the contracts; a contract lists
`- include: <rule id>` where the rule takes its place, and the included rule applies to the
contract's own target. The loaded contract is the same as if the rule were written out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import yaml

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.conform.staging import PROVENANCE_SCHEMA, STAGED_SCHEMAS
from hanoi_health_lake.contracts.derived import DERIVED
from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS
from hanoi_health_lake.records import DATASETS
from hanoi_health_lake.reference.dicom_modalities import modality_codes

CATEGORIES = ("conformance", "completeness", "plausibility")
SEVERITIES = ("error", "warn")
CHECK_KINDS = ("not_null", "pattern", "enum", "range", "unique", "derived", "parse_error")
TYPES: dict[str, pl.DataType] = {
    "string": pl.Utf8(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "list<string>": pl.List(pl.Utf8),
    "list<date>": pl.List(pl.Date),
}
_RULE_ID = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
_TOP_KEYS = {"version", "table", "grain", "keys", "columns", "rules"}
_COLUMN_KEYS = {
    "type", "required", "unique", "pii", "pattern", "enum", "min", "max", "strict_min",
    "strict_max", "description",
}  # fmt: skip
_RULE_KEYS = {"id", "category", "severity", "applies_to", "description", "check"}
_CHECK_KEYS = {"kind", "columns", "name", "params"}
SHARED_RULES = Path("shared") / "rules.yml"  # beside the contracts
_INCLUDE = "include"


# Code lists a column's `enum` may name instead of listing them: a standard's own list.
NAMED_ENUMS: dict[str, Callable[[], tuple[str, ...]]] = {"dicom_modality": modality_codes}


class ContractError(ValueError):
    """A contract file that breaks the contract schema; the message names the file and place."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    unique: bool = False
    pii: bool = False
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    strict_min: bool = False
    strict_max: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Check:
    kind: str
    columns: tuple[str, ...] = ()
    name: str | None = None  # derived checks only
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    applies_to: str
    description_vi: str
    description_en: str
    check: Check


@dataclass(frozen=True, eq=False)  # loaded once and cached: identity is equality
class Contract:
    version: int
    table: str
    grain: str
    keys: tuple[str, ...]
    columns: dict[str, Column]
    rules: tuple[Rule, ...]

    @property
    def suite_name(self) -> str:
        return f"{self.table}.{self.version}"

    @property
    def applies_to(self) -> str:
        return self.rules[0].applies_to

    @property
    def is_record_level(self) -> bool:
        return self.applies_to in DATASETS

    @property
    def pii_columns(self) -> tuple[str, ...]:
        return tuple(name for name, column in self.columns.items() if column.pii)

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.rules if rule.id == rule_id)

    def check_columns(self, rule: Rule) -> tuple[str, ...]:
        """The columns a rule's check reads (for `not_null` without a list: the required ones)."""
        if rule.check.kind == "not_null" and not rule.check.columns:
            return tuple(name for name, column in self.columns.items() if column.required)
        return rule.check.columns


def contracts_dir() -> Path:
    return PROJECT_ROOT / "data_contracts"


def load_contracts(directory: Path | None = None) -> dict[str, Contract]:
    """Every contract in the directory (default `data_contracts/`), by table name."""
    return _load_directory(Path(directory or contracts_dir()).resolve())


@cache
def _load_directory(directory: Path) -> dict[str, Contract]:
    paths = sorted(directory.glob("*.yml"))
    contracts = {path.stem: load_contract(path) for path in paths}
    targets: dict[str, str] = {}
    for contract in contracts.values():
        other = targets.setdefault(contract.applies_to, contract.table)
        if other != contract.table:
            raise ContractError(
                f"{contract.table}.yml and {other}.yml both apply to {contract.applies_to!r}"
            )
    return contracts


def contract_for(applies_to: str, directory: Path | None = None) -> Contract:
    """The contract whose rules apply to a staged dataset or to `silver.<table>`."""
    for contract in load_contracts(directory).values():
        if contract.applies_to == applies_to:
            return contract
    raise KeyError(f"no data contract applies to {applies_to!r}")


def load_contract(path: Path) -> Contract:
    where = str(path)
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    _expect(isinstance(raw, dict), where, "the file is not a mapping")
    _keys(raw, _TOP_KEYS, _TOP_KEYS, where)
    table = raw["table"]
    _expect(table == Path(path).stem, where, f"table {table!r} must match the file name")
    _expect(isinstance(raw["version"], int) and raw["version"] >= 1, where, "version: int >= 1")
    _expect(isinstance(raw["grain"], str) and raw["grain"].strip(), where, "grain: text")
    columns = {
        name: _column(name, spec, f"{where}: columns.{name}")
        for name, spec in _mapping(raw["columns"], f"{where}: columns").items()
    }
    keys = tuple(raw["keys"])
    _expect(set(keys) <= set(columns), where, f"keys {keys} must be columns")
    _expect(isinstance(raw["rules"], list) and raw["rules"], where, "rules: a non-empty list")
    raw["rules"] = with_shared_rules(raw["rules"], Path(path).parent, where)
    rules = tuple(_rule(spec, f"{where}: rules[{i}]") for i, spec in enumerate(raw["rules"]))
    contract = Contract(raw["version"], table, raw["grain"], keys, columns, rules)
    _check_contract(contract, where)
    return contract


def with_shared_rules(rules: list, directory: Path, where: str) -> list[dict]:
    """A contract's `rules:` list with each `- include: <id>` replaced by that shared rule,
    applying to the target the contract's own rules name."""
    if not any(isinstance(spec, dict) and _INCLUDE in spec for spec in rules):
        return rules
    shared = shared_rules(directory)
    own = [spec for spec in rules if isinstance(spec, dict) and _INCLUDE not in spec]
    targets = {spec.get("applies_to") for spec in own}
    _expect(
        len(targets) == 1,
        where,
        f"included rules need one target among the own rules, got {targets}",
    )
    target = targets.pop()
    out = []
    for i, spec in enumerate(rules):
        if not (isinstance(spec, dict) and _INCLUDE in spec):
            out.append(spec)
            continue
        _keys(spec, {_INCLUDE}, {_INCLUDE}, f"{where}: rules[{i}]")
        rule_id = spec[_INCLUDE]
        _expect(rule_id in shared, f"{where}: rules[{i}]", f"no shared rule {rule_id!r}")
        out.append({**copy.deepcopy(shared[rule_id]), "applies_to": target})
    return out


def shared_rules(directory: Path) -> dict[str, dict]:
    """Rule id → rule (without `applies_to`) from `<directory>/shared/rules.yml`."""
    return _shared_rules(Path(directory).resolve() / SHARED_RULES)


@cache
def _shared_rules(path: Path) -> dict[str, dict]:
    where = str(path)
    _expect(path.exists(), where, "a contract includes shared rules but the file is missing")
    raw = _mapping(yaml.safe_load(path.read_text(encoding="utf-8")), where)
    _keys(raw, {"rules"}, {"rules"}, where)
    _expect(isinstance(raw["rules"], list), where, "rules: a list")
    rules: dict[str, dict] = {}
    for i, spec in enumerate(raw["rules"]):
        spec = _mapping(spec, f"{where}: rules[{i}]")
        _expect(
            "applies_to" not in spec, f"{where}: rules[{i}]", "applies_to comes from the contract"
        )
        _rule({**spec, "applies_to": "shared"}, f"{where}: rules[{i}]")  # the schema check
        _expect(spec["id"] not in rules, where, f"rule {spec['id']!r} defined twice")
        rules[spec["id"]] = spec
    return rules


def _column(name: str, spec: Any, where: str) -> Column:
    spec = _mapping(spec, where)
    _keys(spec, {"type"}, _COLUMN_KEYS, where)
    _expect(spec["type"] in TYPES, where, f"type must be one of {sorted(TYPES)}")
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])
        except re.error as exc:
            raise ContractError(f"{where}: pattern does not compile: {exc}") from None
    if isinstance(spec.get("enum"), str):
        _expect(spec["enum"] in NAMED_ENUMS, where, f"enum: one of {sorted(NAMED_ENUMS)}")
        spec = {**spec, "enum": list(NAMED_ENUMS[spec["enum"]]())}
    if "enum" in spec:
        _expect(isinstance(spec["enum"], list) and spec["enum"], where, "enum: non-empty list")
    for bound in ("min", "max"):
        if bound in spec:
            _expect(isinstance(spec[bound], int | float), where, f"{bound} must be a number")
    for flag in ("required", "unique", "pii", "strict_min", "strict_max"):
        _expect(isinstance(spec.get(flag, False), bool), where, f"{flag} must be true or false")
    return Column(
        name=name,
        type=spec["type"],
        required=spec.get("required", False),
        unique=spec.get("unique", False),
        pii=spec.get("pii", False),
        pattern=spec.get("pattern"),
        enum=tuple(spec["enum"]) if "enum" in spec else None,
        min=spec.get("min"),
        max=spec.get("max"),
        strict_min=spec.get("strict_min", False),
        strict_max=spec.get("strict_max", False),
        description=spec.get("description"),
    )


def _rule(spec: Any, where: str) -> Rule:
    spec = _mapping(spec, where)
    _keys(spec, _RULE_KEYS, _RULE_KEYS, where)
    rule_id = spec["id"]
    _expect(isinstance(rule_id, str) and _RULE_ID.match(rule_id), where, f"bad id {rule_id!r}")
    where = f"{where} ({rule_id})"
    _expect(spec["category"] in CATEGORIES, where, f"category must be one of {CATEGORIES}")
    _expect(spec["severity"] in SEVERITIES, where, f"severity must be one of {SEVERITIES}")
    description = _mapping(spec["description"], f"{where}: description")
    _keys(description, {"vi", "en"}, {"vi", "en"}, f"{where}: description")
    for lang in ("vi", "en"):
        _expect(str(description[lang]).strip() != "", where, f"description.{lang} is empty")
    check = _mapping(spec["check"], f"{where}: check")
    _keys(check, {"kind"}, _CHECK_KEYS, f"{where}: check")
    _expect(check["kind"] in CHECK_KINDS, where, f"check.kind must be one of {CHECK_KINDS}")
    if check["kind"] == "derived":
        _expect(
            check.get("name") in DERIVED, where, f"derived check must be one of {sorted(DERIVED)}"
        )
    return Rule(
        id=rule_id,
        category=spec["category"],
        severity=spec["severity"],
        applies_to=spec["applies_to"],
        description_vi=str(description["vi"]).strip(),
        description_en=str(description["en"]).strip(),
        check=Check(
            kind=check["kind"],
            columns=tuple(check.get("columns", ())),
            name=check.get("name"),
            params=dict(check.get("params", {})),
        ),
    )


def _check_contract(contract: Contract, where: str) -> None:
    ids = [rule.id for rule in contract.rules]
    _expect(len(ids) == len(set(ids)), where, f"rule ids repeat: {sorted(ids)}")
    targets = {rule.applies_to for rule in contract.rules}
    _expect(len(targets) == 1, where, f"all rules must apply to one target, got {targets}")
    target = targets.pop()
    silver = f"silver.{contract.table}"
    _expect(target in DATASETS or target == silver, where, f"applies_to {target!r} is unknown")
    if target in DATASETS:
        staged = STAGED_SCHEMAS[target]
        expected = {
            name: (lambda t, dtype=staged[name]: TYPES[t] == dtype)
            for name in staged
            if name not in PROVENANCE_SCHEMA
        }
        readable = set(contract.columns) | set(PROVENANCE_SCHEMA)
    else:
        expected = {
            f.name: (lambda t, arrow=f.type: _ARROW_TYPE_TESTS[t](arrow))
            for f in SILVER_SCHEMAS[contract.table]
        }
        readable = set(contract.columns)
    _check_columns(contract, expected, where)
    for rule in contract.rules:
        _check_rule_columns(contract, rule, readable, f"{where} ({rule.id})")
    _check_coverage(contract, where)


_ARROW_TYPE_TESTS: dict[str, Callable[[pa.DataType], bool]] = {
    "string": pa.types.is_string,
    "integer": pa.types.is_integer,
    "number": pa.types.is_floating,
    "boolean": pa.types.is_boolean,
    "date": pa.types.is_date,
    "datetime": pa.types.is_timestamp,
    "list<string>": lambda t: pa.types.is_list(t) and pa.types.is_string(t.value_type),
    "list<date>": lambda t: pa.types.is_list(t) and pa.types.is_date(t.value_type),
}


def _check_columns(
    contract: Contract, expected: dict[str, Callable[[str], bool]], where: str
) -> None:
    """The contract's columns are exactly the table's, with matching types."""
    declared = set(contract.columns)
    missing, unknown = sorted(set(expected) - declared), sorted(declared - set(expected))
    _expect(not missing and not unknown, where, f"columns: missing {missing}, unknown {unknown}")
    for name, column in contract.columns.items():
        _expect(expected[name](column.type), where, f"column {name}: wrong type")


def _constraints(column: Column) -> dict[str, bool]:
    return {
        "pattern": column.pattern is not None,
        "enum": column.enum is not None,
        "range": column.min is not None or column.max is not None,
        "required": column.required,
        "unique": column.unique,
    }


def _check_rule_columns(contract: Contract, rule: Rule, readable: set[str], where: str) -> None:
    kind = rule.check.kind
    columns = contract.check_columns(rule)
    _expect(set(columns) <= readable, where, f"check reads unknown columns {columns}")
    if kind in ("pattern", "enum", "range", "unique", "not_null"):
        _expect(bool(columns), where, f"the {kind} check has no column to check")
    for name in columns if kind in ("pattern", "enum", "range") else ():
        _expect(_constraints(contract.columns[name])[kind], where, f"{name} has no {kind}")


def _check_coverage(contract: Contract, where: str) -> None:
    """Every constraint a column declares is enforced by exactly one rule."""
    covered: dict[tuple[str, str], int] = {}
    for rule in contract.rules:
        kind = rule.check.kind
        if kind in ("pattern", "enum", "range"):
            for name in rule.check.columns:
                covered[(kind, name)] = covered.get((kind, name), 0) + 1
        elif kind == "not_null" and not rule.check.columns:
            for name in contract.check_columns(rule):
                covered[("required", name)] = covered.get(("required", name), 0) + 1
        elif kind == "unique" and len(rule.check.columns) == 1:
            covered[("unique", rule.check.columns[0])] = 1
    for name, column in contract.columns.items():
        for kind, present in _constraints(column).items():
            if present:
                n = covered.get((kind, name), 0)
                _expect(n == 1, where, f"column {name}: its {kind} is enforced by {n} rules")


def _mapping(value: Any, where: str) -> dict:
    _expect(isinstance(value, dict), where, "expected a mapping")
    return value


def _keys(spec: dict, required: set[str], allowed: set[str], where: str) -> None:
    missing, unknown = required - set(spec), set(spec) - allowed
    _expect(not missing, where, f"missing keys {sorted(missing)}")
    _expect(not unknown, where, f"unknown keys {sorted(unknown)}")


def _expect(condition: object, where: str, message: str) -> None:
    if not condition:
        raise ContractError(f"{where}: {message}")
