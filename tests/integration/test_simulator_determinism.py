"""Same arguments, same bytes: independent of run, output folder and worker count."""

from __future__ import annotations

import hashlib
from datetime import date

from hanoi_health_lake.simulator import simulate


def _tree(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_runs_write_byte_identical_trees(tmp_path):
    args = (date(2026, 3, 1), 2, "tiny", 11)
    simulate(*args, tmp_path / "a", fault_rate=0.05, workers=1)
    simulate(*args, tmp_path / "b", fault_rate=0.05, workers=2)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    assert len(a) > 100
