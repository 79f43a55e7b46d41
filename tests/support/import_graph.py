"""The import graph of a package, read with `ast` from its source files (nothing is imported).

Every `import` and `from … import` counts, wherever it sits: at module level, inside a function
(a deferred import still ties the two modules together) and under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    """`hanoi_health_lake/lake/catalog.py` → `hanoi_health_lake.lake.catalog` (a package is its
    `__init__`'s name)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, module: str, is_package: bool, modules: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:  # relative: resolve against this module's package
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    # `from pkg import sub` imports the submodule `pkg.sub` when there is one, else a name
    # defined in `pkg` (as grimp counts it: a parent package's `__init__` is not an edge).
    named = [f"{target}.{alias.name}" for alias in node.names]
    submodules = [name for name in named if name in modules]
    return submodules if len(submodules) == len(named) else [target, *submodules]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports (names that are not modules of
    the package, such as functions, are dropped)."""
    sources = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in sources.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {
            t for node in ast.walk(tree) for t in _imported(node, module, is_package, set(sources))
        }
        graph[module] = {t for t in targets if t in sources and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted: every
    import cycle lies inside one of them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
