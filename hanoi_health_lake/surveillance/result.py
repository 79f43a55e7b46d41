"""What every detection method returns: per-point arrays aligned with the input series."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

OK = "ok"
SHORT_HISTORY = "short_history"  # not enough earlier points: left out of the output
LOW_COUNTS = "low_counts"  # Farrington's limit54: too few recent cases to alarm
NO_FIT = "no_fit"  # Farrington's GLM did not converge, with or without trend


@dataclass
class MethodResult:
    """`expected` and `upperbound` are NaN where the method gives none; `status` says why."""

    expected: np.ndarray
    upperbound: np.ndarray
    alarm: np.ndarray
    status: np.ndarray
    notes: dict[str, str] = field(default_factory=dict)  # status -> human explanation

    @classmethod
    def empty(cls, n: int, history_note: str) -> MethodResult:
        return cls(
            expected=np.full(n, np.nan),
            upperbound=np.full(n, np.nan),
            alarm=np.zeros(n, dtype=bool),
            status=np.full(n, SHORT_HISTORY, dtype=object),
            notes={SHORT_HISTORY: history_note},
        )

    @property
    def evaluated(self) -> np.ndarray:
        return self.status != SHORT_HISTORY


def check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
