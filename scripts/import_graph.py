"""Print the shape of the code: modules, import cycles and the longest functions.

Usage: python scripts/import_graph.py [package ...]   (default: requests_app dsar demo)

The import graph comes from grimp (the library import-linter checks the layer contracts with),
which reads every import statement, including the ones inside functions. A cycle is a strongly
connected group of modules: each can reach every other by following imports.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the module graph, iteratively (the graph can be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def longest_functions(packages: list[str], limit: int = 10) -> list[tuple[int, str]]:
    """Return the longest functions (lines, dotted name), migrations left out."""
    found: list[tuple[int, str]] = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        base = Path(spec.origin).parent
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(base.parent).with_suffix("").parts)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
                    found.append((node.end_lineno - node.lineno + 1, f"{module}.{node.name}"))
    return sorted(found, reverse=True)[:limit]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    packages = argv or ["requests_app", "dsar", "demo"]
    packages = [name for name in packages if importlib.util.find_spec(name) is not None]
    graph = grimp.build_graph(*packages, cache_dir=None)
    modules = sorted(module for module in graph.modules if ".migrations" not in module)
    per_package: dict[str, int] = defaultdict(int)
    for module in modules:
        per_package[".".join(module.split(".")[:2])] += 1
    sys.stdout.write(f"modules: {len(modules)}" + "\n")
    for package, count in sorted(per_package.items()):
        sys.stdout.write(f"  {package:<40} {count}" + "\n")
    cycles = strongly_connected(graph)
    sys.stdout.write(f"import cycles: {len(cycles)}" + "\n")
    for group in cycles:
        sys.stdout.write(f"  {len(group)} modules: " + ", ".join(group) + "\n")
    sys.stdout.write("longest functions:" + "\n")
    for lines, name in longest_functions(packages):
        sys.stdout.write(f"  {lines:>4}  {name}" + "\n")
    return 1 if cycles else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
