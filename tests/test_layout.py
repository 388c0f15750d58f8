"""The layout says what the code does: no import circle, layers that point inward, and a
codemap that names every module there is.

Imports are read with ``ast`` from every module under ``room/``: those at the top, under
``if TYPE_CHECKING:`` and inside functions alike, since a reader follows each of them.
``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "room"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()

# What the pure domain may import from the standard library: data, text, dates as
# values. No clock, no file, no socket, no event loop.
PURE_STDLIB = {
    "__future__",
    "abc",
    "bisect",
    "builtins",
    "collections",
    "collections.abc",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "itertools",
    "math",
    "operator",
    "re",
    "string",
    "types",
    "typing",
    "unicodedata",
}
# The one library the domain may import: a persistent map (a HAMT, in C), so that a
# state is made from the one before it without copying it. It is data as values too —
# no I/O — and docs/architecture.md says why it is worth the exception.
PURE_LIBRARIES = {"immutables"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, wherever the import statement sits."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved from this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                name = f"{base}.{alias.name}"
                yield name if name in MODULES else base


def room_imports(name: str) -> set[str]:
    return {other for other in imported(MODULES[name]) if other in MODULES and other != name}


GRAPH = {name: room_imports(name) for name in MODULES}


def find_cycle() -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(name: str) -> list[str] | None:
        path.append(name)
        on_path.add(name)
        for other in sorted(GRAPH[name]):
            if other in on_path:
                return [*path[path.index(other) :], other]
            if other not in done and (cycle := visit(other)) is not None:
                return cycle
        path.pop()
        on_path.discard(name)
        done.add(name)
        return None

    for name in sorted(GRAPH):
        if name not in done and (cycle := visit(name)) is not None:
            return cycle
    return None


def test_no_module_imports_one_that_imports_it_back() -> None:
    """No import circle anywhere in ``room/``, however indirect."""
    cycle = find_cycle()
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_sees_a_circle_through_a_function() -> None:
    """The check itself: an import inside a function that closes a loop is found."""
    saved = {name: set(edges) for name, edges in GRAPH.items()}
    try:
        GRAPH["room.domain.errors"].add("room.live.room")  # as if errors.py imported it lazily
        cycle = find_cycle()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert {"room.domain.errors", "room.live.room"} <= set(cycle)


def reaches(name: str) -> set[str]:
    """Every module ``name`` imports, directly or not."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for other in GRAPH[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def modules_under(prefix: str) -> list[str]:
    return [name for name in MODULES if name == prefix or name.startswith(prefix + ".")]


def test_the_domain_does_no_io() -> None:
    """``room/domain`` imports only other domain modules, a few pure parts of the
    standard library and the persistent map: no asyncio, no clock, no file, no socket,
    no other third party."""
    pure = PURE_STDLIB | PURE_LIBRARIES
    for name in modules_under("room.domain"):
        for other in imported(MODULES[name]):
            assert other.startswith("room.domain") or other in pure, (name, other)


def test_layers_point_inward() -> None:
    """What is inside never reaches what is outside it: the domain knows nothing else of
    the app, the store and the records no live room and no route, the live rooms no
    route; and the session's side never reaches the group's (groups build on sessions)."""
    rules = {
        "room.domain": ("room.store", "room.live", "room.records", "room.web", "room.protocol"),
        "room.store": ("room.live", "room.records", "room.web", "room.mail"),
        "room.records": ("room.store", "room.live", "room.web", "room.mail"),
        "room.live": ("room.web", "room.records", "room.mail"),
        "room.mail": ("room.web",),
        "room.domain.session": ("room.domain.group", "room.domain.cycle"),
        "room.domain.group": ("room.domain.cycle",),
        "room.web.session": ("room.web.group", "room.domain.group"),
    }
    for inner, outer in rules.items():
        for name in modules_under(inner):
            reached = {other for other in reaches(name) if other.startswith(outer)}
            assert not reached, f"{name} reaches {sorted(reached)}"


def codemap() -> str:
    return ARCHITECTURE.split("## Codemap", 1)[1].split("\n## ", 1)[0]


def named_in_codemap() -> set[str]:
    """The modules the codemap names: ``room/a/b.py`` a module, ``room/a/`` a package."""
    named = set()
    for path in re.findall(r"`(room/(?:[\w/]*?(?:\.py|/))?)`", codemap()):
        file = ROOT / path / "__init__.py" if path.endswith("/") else ROOT / path
        named.add(module_name(file))
    return named


def test_the_codemap_names_every_module_and_no_other() -> None:
    """Each module under ``room/`` is named in docs/architecture.md's codemap, and each
    module the codemap names exists."""
    named = named_in_codemap()
    assert sorted(set(MODULES) - named) == [], "modules missing from the codemap"
    assert sorted(named - set(MODULES)) == [], "the codemap names modules that do not exist"
