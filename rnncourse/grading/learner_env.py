"""The learners' light install, checked: a fresh venv with only ``requirements-student.txt`` and the
course package installed from a wheel (not editable), used from a folder outside the repository.

    python -m rnncourse.grading.learner_env DEST            # make learner-env: the real install, timed and sized
    python -m rnncourse.grading.learner_env --linked DEST   # the same packages linked from this venv (seconds)

Both end with :data:`SMOKE`, run by the new venv's Python in an empty folder: every module the
self-study notebooks import, the checks' reference loader, and every dataset of the package,
found inside the installed package. The real install downloads nothing here (torch's CPU build and
the rest come from the machine's package index) but copies ~1.3 GB; ``--linked`` builds the same
environment in seconds by linking, from this venv, exactly the distributions that
``requirements-student.txt`` needs (its dependency closure), which is what ``make test`` checks.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from . import notebooks as nbs
from .course import Course
from .editions import SOLUTIONS

REQUIREMENTS = "requirements-student.txt"
# Packages of the instructor's and CI's environment that a learner never needs.
INSTRUCTOR_ONLY = ("nbgrader", "dask", "distributed", "psycopg2", "psycopg2-binary", "pytest", "pytest-xdist",
                   "sphinx", "myst-nb", "playwright")

SMOKE = r'''
import importlib, importlib.util, json, sys
from pathlib import Path
report = {"python": sys.executable, "cwd": str(Path.cwd())}
for module in MODULES:
    importlib.import_module(module)
import rnncourse, rnncourse.data, rnncourse.selfstudy
report["rnncourse"] = rnncourse.__file__
datasets = sorted(p.name for p in rnncourse.data.DATA_DIR.glob("*.txt"))
report["datasets"] = {name: len(rnncourse.data.load_lines(name)) for name in datasets}
report["data_path"] = str(rnncourse.data.data_path("names.txt"))
report["instructor_only_importable"] = [m for m in ("nbgrader", "dask", "distributed", "psycopg2", "pytest")
                                        if importlib.util.find_spec(m)]
print(json.dumps(report))
'''


def pins(path: Path) -> dict[str, str]:
    """Normalised name -> version of every ``name==version`` line of a requirements file."""
    return pins_of(path.read_text().splitlines())


def pins_of(lines) -> dict[str, str]:
    """Normalised name -> version of ``name==version`` requirement strings (comments ignored)."""
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[canonical(name)] = version.strip()
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def notebook_modules(course: Course) -> list[str]:
    """Every module imported by a code cell of the solutions edition (which imports what the
    exercise edition does), ``%magics`` aside."""
    modules = set()
    for assignment in course.assignments:
        nb = nbs.read(course.path("selfstudy") / SOLUTIONS / course.notebook_name(assignment))
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.split("\n") if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
    return sorted(modules)


def closure(requirements: dict[str, str]) -> set[str]:
    """The distributions (canonical names) of this environment that ``requirements`` need, with
    their dependencies, markers evaluated here and extras ignored."""
    from packaging.requirements import Requirement

    needed, todo = set(), list(requirements)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        for spec in metadata.distribution(name).requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonical(requirement.name))
    return needed


def build_wheel(course: Course, dest: Path) -> Path:
    """The course package as a wheel (the installed copy carries its datasets, as package data)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(dest), str(course.root)], check=True, capture_output=True)
    (wheel,) = dest.glob("rnncourse-*.whl")
    return wheel


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def linked_env(course: Course, venv: Path, wheel: Path) -> None:
    """A venv whose site-packages links, from this one, only the distributions that
    requirements-student.txt needs, with the course package installed from ``wheel``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target, here = site_packages(venv), Path(metadata.distribution("numpy").locate_file(""))
    for name in sorted(closure(pins(course.root / REQUIREMENTS))):
        for file in metadata.distribution(name).files or []:
            top = Path(file).parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            if not (target / top).exists() and (here / top).exists():
                (target / top).symlink_to(here / top)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)


def real_env(course: Course, venv: Path, wheel: Path) -> None:
    """``python -m venv`` and ``pip install -r requirements-student.txt <wheel>``: what a learner runs."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                    str(course.root / REQUIREMENTS), str(wheel)], check=True)


def smoke(course: Course, venv: Path) -> dict:
    """Run :data:`SMOKE` with the venv's Python in an empty folder outside the course; its report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(KERAS_BACKEND="torch", MPLBACKEND="Agg")
    code = f"MODULES = {notebook_modules(course)!r}\n" + SMOKE
    with tempfile.TemporaryDirectory() as outside:
        done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=outside, env=env,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the learner environment cannot run the notebooks' imports:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def size_mb(folder: Path) -> float:
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path, help="the venv to create (must not exist)")
    parser.add_argument("--linked", action="store_true", help="link the packages from this venv instead of installing")
    args = parser.parse_args(argv)
    if args.dest.exists():
        parser.error(f"{args.dest} exists")
    course = Course.find()
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(course, Path(scratch))
        start = time.perf_counter()
        (linked_env if args.linked else real_env)(course, args.dest, wheel)
        seconds = time.perf_counter() - start
    report = smoke(course, args.dest)
    print(json.dumps(report, indent=2))
    print(f"{'linked' if args.linked else 'installed'} in {seconds:.0f} s; venv {size_mb(args.dest):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
