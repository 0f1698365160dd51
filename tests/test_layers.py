"""#32: the house's layers, read by a tool of our own (the AST of every module, function-level imports
included) besides import-linter's contracts in ``make lint``: an area imports only the areas below it,
and the named rules hold with no exception."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lukluk_pos"

#: Bottom first, as docs/architecture.md gives it.
ORDER = ["extensions", "core", "catalog", "auth", "till", "cash", "printing", "fiscal", "invoicing", "intake",
         "stock", "reports", "api", "counter", "demo", "serve"]


def _imports() -> list[tuple[str, int, str]]:
    """(module file, line, imported module) for every import of lukluk_pos inside lukluk_pos."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        package = parts[:-1]  # a module's package; an __init__'s own package
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = list(package[:len(package) - node.level + 1])
                    target = ".".join(base + ([node.module] if node.module else []))
                    names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
                else:
                    names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found += [(str(path.relative_to(PACKAGE.parent)), node.lineno, n) for n in names
                      if n.startswith("lukluk_pos.")]
    return found


def _area(module_or_file: str) -> str:
    parts = module_or_file.replace("/", ".").removesuffix(".py").split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_import_goes_down_the_layers():
    imports = _imports()
    assert len(imports) > 300  # the reader found the house's imports
    rank = {area: i for i, area in enumerate(ORDER)}
    upward = [f"{where}:{line} imports {target}" for where, line, target in imports
              if _area(where) in rank and _area(target) in rank and rank[_area(target)] > rank[_area(where)]]
    assert not upward, "imports running up the layers:\n" + "\n".join(upward)
    assert {_area(where) for where, _line, _target in imports} - {"__init__"} <= set(rank)  # no area left out


def test_the_named_rules_hold():
    rules = {"core": set(ORDER[2:]), "extensions": set(ORDER[2:]), "auth": {"till"},
             "till": {"cash", "printing", "fiscal", "invoicing", "api"}, "cash": {"fiscal", "printing", "stock"}}
    broken = [f"{where}:{line} imports {target}" for where, line, target in _imports()
              if _area(target) in rules.get(_area(where), set())]
    assert not broken, "\n".join(broken)
