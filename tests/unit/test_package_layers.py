"""The package is layered: its import graph has no cycle, and no domain module reaches into the
benchmarks or the tests (only `hhl bench`'s wiring in commands/ may import benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import hanoi_health_lake
from tests.support.import_graph import cycles, import_graph

PACKAGE = Path(hanoi_health_lake.__file__).parent
BENCHMARKS = "hanoi_health_lake.benchmarks"
# Wiring that may reach the benchmarks: the commands run them, and they use each other.
MAY_IMPORT_BENCHMARKS = ("hanoi_health_lake.commands", BENCHMARKS)


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _all_imports() -> dict[str, set[str]]:
    """Every module's imports by name, the package's own and others (for `tests`)."""
    import ast

    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE.parent))] = names
    return found


def test_import_graph_has_no_cycle():
    assert cycles(import_graph(PACKAGE)) == []


def test_the_graph_sees_deferred_and_type_checking_imports(tmp_path):
    """The checker must not miss a cycle hidden in a function or under TYPE_CHECKING."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n"
    )
    (package / "b.py").write_text("def f():\n    from pkg import a\n")
    (package / "c.py").write_text("from . import a\n")
    graph = import_graph(package)
    assert graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_domain_module_imports_benchmarks():
    graph = import_graph(PACKAGE)
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in graph.items()
        if not any(_under(module, allowed) for allowed in MAY_IMPORT_BENCHMARKS)
        for target in targets
        if _under(target, BENCHMARKS)
    )
    assert wrong == []


def test_no_module_imports_test_code():
    wrong = sorted(
        f"{path} → {name}"
        for path, names in _all_imports().items()
        for name in names
        if name == "tests" or name.startswith(("tests.", "conftest", "pytest"))
    )
    assert wrong == []


def test_no_bench_module_outside_benchmarks():
    """Benchmark code has one home: a `bench.py` elsewhere would be measuring code in a domain
    package (commands/bench.py is the CLI wiring)."""
    misplaced = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if ("bench" in path.stem or path.stem in ("synthetic", "lake_tables"))
        and path.parent.name not in ("benchmarks", "commands")
    )
    assert misplaced == []
