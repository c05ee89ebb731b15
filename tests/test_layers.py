"""The package's layers are one-way: no import circle, no import from a lower layer into a higher one.

The layer order is the fenced ```layers block of docs/architecture.md, the one place it is written.
"""

from __future__ import annotations

from tests.import_graph import circles, declared_layers, import_graph, layer_of, modules


def test_every_module_has_a_layer():
    layers = declared_layers()
    unplaced = [m for m in modules() if layer_of(m, layers) is None]
    assert not unplaced, f"add these modules (or their package) to the ```layers block of docs/architecture.md: {unplaced}"


def test_no_import_circle():
    found = circles(import_graph())
    assert not found, "import circles (break them by moving what both need into a lower module):\n" + "\n".join(
        " <-> ".join(group) for group in found
    )


def test_no_upward_import():
    layers = declared_layers()
    upward = []
    for edge in import_graph():
        src, dst = layer_of(edge.source, layers), layer_of(edge.target, layers)
        if src is not None and dst is not None and dst > src:
            upward.append(f"{edge}  ({layers[src][0]} imports {layers[dst][0]})")
    assert not upward, "imports from a lower layer into a higher one:\n" + "\n".join(upward)


def test_graph_reader_sees_lazy_and_dynamic_imports(tmp_path):
    pkg = tmp_path / "flamkit"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import b\n")
    (pkg / "a.py").write_text("def f():\n    from flamkit.sub import b\n")
    (pkg / "sub" / "b.py").write_text(
        "import importlib\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import flamkit.a\n"
        "def g():\n    importlib.import_module('flamkit.a')\n"
    )
    edges = {(e.source, e.target, e.runtime) for e in import_graph(pkg)}
    assert ("flamkit.a", "flamkit.sub.b", True) in edges
    assert ("flamkit.sub", "flamkit.sub.b", True) in edges
    assert ("flamkit.sub.b", "flamkit.a", False) in edges
    assert ("flamkit.sub.b", "flamkit.a", True) in edges
    assert circles(import_graph(pkg)) == [["flamkit.a", "flamkit.sub.b"]]
