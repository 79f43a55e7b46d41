"""Data contracts: YAML loader and schema check, Great Expectations suites, record validation."""

from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.contracts.model import Contract, ContractError, contract_for, load_contracts
from hanoi_health_lake.contracts.validate import (
    RuleResult,
    ValidationOutcome,
    category_of,
    validate,
    validate_silver,
)

__all__ = [
    "Contract",
    "ContractError",
    "RuleResult",
    "ValidationContext",
    "ValidationOutcome",
    "category_of",
    "contract_for",
    "load_contracts",
    "validate",
    "validate_silver",
]
