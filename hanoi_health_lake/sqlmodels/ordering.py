"""Topological order of models: every model after the models it reads."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from hanoi_health_lake.sqlmodels.model import SqlModel, SqlModelError


def order_models(models: Sequence[SqlModel]) -> list[SqlModel]:
    """Inputs first; among models ready at the same time, the given order is kept (stable).

    Dependencies outside `models` are taken as already built, so a subset can be ordered too.
    A cycle is an error naming the files on it.
    """
    index = {m.name: i for i, m in enumerate(models)}
    inputs = {m.name: {d for d in m.depends_on if d in index} for m in models}
    readers: dict[str, list[str]] = {m.name: [] for m in models}
    for name, deps in inputs.items():
        for dep in deps:
            readers[dep].append(name)
    waiting = {name: len(deps) for name, deps in inputs.items()}
    ready = [index[name] for name, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[SqlModel] = []
    while ready:
        model = models[heapq.heappop(ready)]
        ordered.append(model)
        for reader in readers[model.name]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, index[reader])
    if len(ordered) < len(models):
        cycle = _find_cycle({n: d for n, d in inputs.items() if waiting[n]})
        by_name = {m.name: m for m in models}
        files = ", ".join(str(by_name[n].path) for n in cycle[:-1])
        raise SqlModelError(f"models read each other in a cycle {' -> '.join(cycle)}: {files}")
    return ordered


def _find_cycle(inputs: dict[str, set[str]]) -> list[str]:
    """A closed path `a -> b -> … -> a` through models that each still wait on another."""
    start = min(inputs)
    path = [start]
    seen = {start: 0}
    while True:
        # Every model left waits on at least one other model left, so this walk must loop.
        nxt = min(d for d in inputs[path[-1]] if d in inputs)
        if nxt in seen:
            return [*path[seen[nxt] :], nxt]
        seen[nxt] = len(path)
        path.append(nxt)
