"""The package's layout: lessons at the top, tooling in ``course``, tables that match the code."""

import ast
import pkgutil
from pathlib import Path

import lepton_helpers
from lepton_helpers.course import nbtools

PACKAGE = Path(lepton_helpers.__file__).parent
LESSONS = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if not m.ispkg)
SUBPACKAGES = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if m.ispkg)


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules one file imports (relative imports resolved inside lepton_helpers)."""
    names, package = set(), "lepton_helpers" + "".join("." + p for p in path.parent.relative_to(PACKAGE).parts)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def test_lessons_at_the_top_and_two_subpackages():
    assert len(LESSONS) <= 18, f"{len(LESSONS)} lesson modules: {LESSONS}"  # one concept each (fastmlp split from profiling)
    assert SUBPACKAGES == ["course", "exercises"]


def test_the_module_table_lists_exactly_the_lesson_modules():
    assert sorted(name for name, _, _ in nbtools.lesson_modules()) == LESSONS


def test_readme_shows_the_module_table():
    readme = (nbtools.ROOT / "README.md").read_text()
    assert nbtools.module_table() in readme, "run `python -m lepton_helpers.course.nbtools sync`"


def test_no_lesson_module_imports_the_course_tooling():
    offenders = {name: sorted(i for i in _imports(PACKAGE / f"{name}.py") if i.startswith("lepton_helpers.course"))
                 for name in LESSONS}
    assert not {k: v for k, v in offenders.items() if v}


def test_relative_imports_are_resolved_inside_the_package():
    # the checker itself, on files whose imports are known: ``from ..exercises import`` in course/key.py
    assert {"lepton_helpers.exercises", "lepton_helpers.exercises.exercises"} <= _imports(PACKAGE / "course" / "key.py")
    assert "lepton_helpers.course.lock" in _imports(PACKAGE / "course" / "tolerances.py")


def test_the_exercise_bank_never_imports_the_course_tooling():
    offenders = {path.name: sorted(i for i in _imports(path) if i.startswith("lepton_helpers.course"))
                 for path in (PACKAGE / "exercises").glob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def _course_graph() -> dict[str, set[str]]:
    """course module -> the course modules it imports (at the top or inside a function)."""
    modules = {p.stem for p in (PACKAGE / "course").glob("*.py") if p.stem != "__init__"}
    graph = {}
    for name in modules:
        imported = _imports(PACKAGE / "course" / f"{name}.py")
        graph[name] = {m for m in modules if {f"lepton_helpers.course.{m}"} & imported}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (a path that returns to its start), or [] if there is none."""
    done: set[str] = set()
    def visit(node, path):
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return []
        for nxt in sorted(graph[node]):
            found = visit(nxt, path + [node])
            if found:
                return found
        done.add(node)
        return []
    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


def test_the_course_modules_import_each_other_without_a_cycle():
    assert _cycle(_course_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_only_env_touches_the_global_generators():
    """Seeding the caller's global generators is ``env.seed_everything``'s job alone (``seeded`` forks them)."""
    calls = {}
    for name in LESSONS:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {
                    "manual_seed", "seed"}:
                owner = ast.unparse(node.func.value)
                if owner in {"torch", "random", "np.random", "torch.random.default_generator", "torch.cuda"}:
                    calls.setdefault(name, []).append(ast.unparse(node))
    assert set(calls) <= {"env"}, calls


def test_one_name_for_seeding():
    """Helpers are seeded with ``seed=`` (``seeds=`` for several, ``split_seed=`` and the like for one named
    stream); ``random_state`` only in the estimator, whose scikit-learn contract requires it."""
    other = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
                    name = arg.arg
                    if ("seed" in name or "random_state" in name or name == "rng") and not (
                            name in ("seed", "seeds") or (name.endswith("_seed") and name != "random_seed")):
                        where = f"{path.relative_to(PACKAGE)}:{getattr(node, 'name', 'lambda')}"
                        other.setdefault(where, []).append(name)
    assert other == {"estimator.py:__init__": ["random_state"]}

def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.split("==") for line in lines if "==" in line)


def test_requirement_floors_are_the_colab_stack_that_ci_tests():
    """Each floor in pyproject.toml is the version CI's Colab stage installs, and the Python floor is CI's 3.11."""
    import tomllib

    project = tomllib.loads((nbtools.ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for requirement in project["dependencies"]:
        name, _, rest = requirement.partition(">=")
        floors[name.strip()] = rest.split(",")[0].strip()
    colab = _pins(nbtools.ROOT / ".ci" / "colab-stack.txt")
    assert floors == {name: colab[name] for name in floors}
    assert project["requires-python"] == ">=3.11"


def test_the_wheel_ships_every_subpackage():
    import tomllib

    shipped = tomllib.loads((nbtools.ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    every = ["lepton_helpers"] + [m.name for m in pkgutil.walk_packages([str(PACKAGE)], "lepton_helpers.") if m.ispkg]
    assert sorted(shipped) == sorted(every)
