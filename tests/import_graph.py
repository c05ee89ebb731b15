"""The import graph of the ``flamkit`` package, read with ``ast`` (nothing is imported).

Every ``import flamkit...`` and ``from flamkit... import ...`` counts, at module level or inside a
function (a lazy import still couples the two modules), and so does
``importlib.import_module("flamkit...")`` with a literal name. Imports under ``if TYPE_CHECKING:``
never run, so they count for the layer order but not for circles.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "flamkit"
ARCHITECTURE = REPO / "docs" / "architecture.md"


@dataclass(frozen=True)
class Edge:
    source: str  # importing module
    target: str  # imported module
    line: int
    runtime: bool  # False under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        return f"{self.source}:{self.line} -> {self.target}"


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package (templates excluded)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        if "templates" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


def _owner(name: str, known: dict[str, Path]) -> str | None:
    """The module a dotted name lives in: itself, or the nearest enclosing module."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[Edge]:
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only = _type_checking_lines(tree)
    is_package = path.name == "__init__.py"
    edges: list[Edge] = []

    def add(name: str, line: int) -> None:
        target = _owner(name, known)
        if target is not None and target != module:
            edges.append(Edge(module, target, line, line not in typing_only))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "flamkit":
                    add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.split(".")[0] != "flamkit":
                continue
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{origin}.{alias.name}"
                add(sub if sub in known else origin, node.lineno)
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module"):
            if node.args and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("flamkit"):
                add(str(node.args[0].value), node.lineno)
    return edges


def import_graph(package: Path = PACKAGE) -> list[Edge]:
    known = modules(package)
    return [edge for module, path in known.items() for edge in imports_of(module, path, known)]


def circles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), over runtime imports."""
    succ: dict[str, set[str]] = {}
    for e in edges:
        if e.runtime:
            succ.setdefault(e.source, set()).add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the package's ~200 modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return groups


# ---- the declared layer order (docs/architecture.md, fenced block ```layers) ----

_BLOCK = re.compile(r"^```layers\n(.*?)^```", re.S | re.M)


def declared_layers(doc: Path = ARCHITECTURE) -> list[tuple[str, list[str]]]:
    """``[(layer name, [module or package prefixes])]``, lowest layer first, as the doc lists them."""
    match = _BLOCK.search(doc.read_text())
    if match is None:
        raise AssertionError(f"{doc} has no ```layers fenced block")
    layers = []
    for raw in match.group(1).splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, members = line.partition(":")
        layers.append((name.strip(), members.split()))
    return layers


def layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """Index of the layer naming ``module``; the longest matching prefix wins.

    ``flamkit`` (the root package) matches only itself, so a new top-level module must be placed.
    """
    best, best_len = None, -1
    for i, (_, members) in enumerate(layers):
        for prefix in members:
            hit = module == prefix or (prefix != "flamkit" and module.startswith(prefix + "."))
            if hit and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    return best
