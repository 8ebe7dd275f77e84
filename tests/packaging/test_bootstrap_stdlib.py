"""bootstrap/ runs before the bundled dependencies exist: it imports the stdlib only."""

import ast
import sys
from pathlib import Path

from nexuslite.packaging import bootstrap

BOOTSTRAP_DIR = Path(bootstrap.__file__).parent
OWN_PREFIX = "nexuslite.packaging.bootstrap"
HAND_OVER = ("entry.py", "nexuslite.cli")  # imported last, once the cache checks out


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or module.startswith(OWN_PREFIX)


def test_bootstrap_imports_only_the_standard_library():
    sources = sorted(BOOTSTRAP_DIR.glob("*.py"))
    assert len(sources) >= 3

    outside = {
        f"{path.name}: {module}"
        for path in sources
        for module in imported_modules(path)
        if not is_allowed(module) and (path.name, module) != HAND_OVER
    }
    assert outside == set()


def test_preamble_imports_nothing_of_its_own_package():
    # It is pasted into pex's __main__.py, where no package is importable yet.
    modules = imported_modules(BOOTSTRAP_DIR / "preamble.py")

    assert all(m.split(".")[0] in sys.stdlib_module_names for m in modules)
