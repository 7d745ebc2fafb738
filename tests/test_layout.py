"""The product never imports its measurement: only the command line reaches flashpoint.evaluation."""

from __future__ import annotations

import ast
from pathlib import Path

import flashpoint

PACKAGE = Path(flashpoint.__file__).parent
INTERFACE = {"cli.py"}  # `flashpoint eval`, `bench` and `train` live here


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the flashpoint modules a file imports (relative imports resolved)."""
    package = ["flashpoint", *path.relative_to(PACKAGE).parent.parts]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.add(module)
            out |= {f"{module}.{a.name}" for a in node.names}
    return {m for m in out if m.startswith("flashpoint")}


def test_product_modules_never_import_the_evaluation_package():
    product = [p for p in PACKAGE.rglob("*.py") if "evaluation" not in p.relative_to(PACKAGE).parts and p.name not in INTERFACE]
    assert len(product) > 20
    offenders = {p.name: sorted(m for m in imported_modules(p) if m.startswith("flashpoint.evaluation")) for p in product}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_scan_sees_relative_imports():
    assert "flashpoint.evaluation.realnews" in imported_modules(PACKAGE / "cli.py")
    assert "flashpoint.places" in imported_modules(PACKAGE / "evaluation" / "geo.py")
