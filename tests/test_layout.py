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


# The stage modules in the order pipeline.code_document first calls them (a module with two stages,
# such as event_dates or modality, stands where its first one runs).
STAGES = ["triggers", "event_dates", "modality", "roles", "event_places", "conventions", "missing_roles", "mentions", "keep",
          "compound_roles", "records", "eventness"]


def stage_calls() -> list[str]:
    """The modules whose functions code_document calls, in the order it first calls them."""
    tree = ast.parse((PACKAGE / "pipeline.py").read_text())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "code_document")
    calls = sorted((n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and isinstance(n.func.value, ast.Name)), key=lambda n: (n.lineno, n.col_offset))
    out: list[str] = []
    for c in calls:
        if c.func.value.id not in out:
            out.append(c.func.value.id)
    return out


def test_pipeline_calls_the_stages_in_the_listed_order():
    assert stage_calls() == STAGES


def test_no_stage_module_imports_a_later_stage():
    offenders = {}
    for i, name in enumerate(STAGES):
        later = {f"flashpoint.{m}" for m in STAGES[i + 1 :]}
        if hit := imported_modules(PACKAGE / f"{name}.py") & later:
            offenders[name] = sorted(hit)
    assert offenders == {}


def test_only_the_pipeline_imports_stage_modules():
    """The helpers the stages share (candidates, syntax, actors, dates, places ...) depend on no stage."""
    stages = {f"flashpoint.{m}" for m in STAGES}
    product = [p for p in PACKAGE.rglob("*.py") if "evaluation" not in p.relative_to(PACKAGE).parts and p.stem not in STAGES]
    offenders = {p.name: sorted(imported_modules(p) & stages) for p in product if p.name != "pipeline.py"}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_stage_scan_sees_an_import_of_an_earlier_stage():
    assert "flashpoint.triggers" in imported_modules(PACKAGE / "roles.py")
    assert "flashpoint.roles" in imported_modules(PACKAGE / "missing_roles.py")


def test_data_word_lists_hold_only_words():
    """YAML 1.1 reads bare on/off/yes/no/true/false as booleans: such a word in a word list is
    silently lost ("called on X" lost its recipient while `on` was read as true)."""
    import yaml

    def odd(x, path):
        if isinstance(x, dict):
            for k, v in x.items():
                yield from ([f"{path}: key {k!r}"] if isinstance(k, bool) else []) + list(odd(v, f"{path}/{k}"))
        elif isinstance(x, list):
            if any(isinstance(i, str) for i in x):
                yield from (f"{path}: {i!r}" for i in x if isinstance(i, bool) or i is None)
            for i in x:
                yield from odd(i, path)

    data = Path(flashpoint.__file__).parent / "data"
    found = [o for f in sorted(data.glob("*.yaml")) for o in odd(yaml.safe_load(f.read_text()), f.name)]
    assert not found, found
