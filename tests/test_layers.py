"""Layers only look down: engine <- teach <- api <- main.

Every import statement of every module under app/ is read (relative ones resolved), and
each layer may import only from the layers below it and from the shared leaves
(app.config, app.paths, app's version).  The engine knows nothing of web code either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# What each layer may not import: the layers above it, and for the engine, web code.
FORBIDDEN = {
    "engine": ("app.teach", "app.api", "app.main", "app.web", "fastapi", "starlette",
               "uvicorn", "jinja2"),
    "teach": ("app.api", "app.main", "app.web"),
    "api": ("app.main",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, package: str) -> set[str]:
    """The absolute names of the modules a module of `package` imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            name = node.module
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            names.add(name)
            names.update(f"{name}.{alias.name}" for alias in node.names)
    return names


def imports_of(path: Path) -> set[str]:
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    return imported(path.read_text(encoding="utf-8"), package)


def test_relative_imports_resolve_as_python_resolves_them():
    # Written inside app/engine/optim/: one dot is app.engine.optim, three reach app.
    got = imported("from . import ops\nfrom ..scene import x\nfrom ...teach.divergence import y\n"
                   "import fastapi\n", "app.engine.optim")
    assert {"app.engine.optim.ops", "app.engine.scene.x", "app.teach.divergence", "fastapi"} <= got


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    offending = []
    for path in sorted((APP / layer).rglob("*.py")):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                offending.append(f"{path.relative_to(APP.parent)} imports {name}")
    assert not offending, "\n".join(offending)
