"""``make site``: a static website of the executed solutions edition, for learners who read before they run.

    python -m rnncourse.grading.site [--grading] [--out _site]

1. Execute ``notebooks/solutions/*.ipynb`` in their folder (nbclient, one BLAS thread), at the
   self-study budgets, or at grading mode's small ones with ``--grading`` (what ``make test``
   builds). An error in any cell stops here: the solutions edition must run top to bottom.
2. Stage the executed notebooks (without the self-study header, whose page title would repeat
   on every page) with their pictures and ``site/`` (``conf.py``, ``index.md``) in ``.cache/site/``.
3. ``sphinx-build -W`` with myst-nb, which renders and never executes: a warning (a missing
   picture, a broken cross-reference) fails the build.
4. Check every relative link, picture, stylesheet and script of every page, #anchors included.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

from . import notebooks as nbs
from .config import KERNEL_THREADS
from .course import Course
from .editions import HEADER, SOLUTIONS, SOLUTIONS_NOTE_ID, assets

SITE_CONFIG = "site"       # conf.py and index.md, committed
STAGING = ".cache/site"    # what Sphinx reads, regenerated
OUTPUT = "_site"           # the website, not committed
FULL_CELL_TIMEOUT_S = 1800     # a2's LSTM trains for minutes at the self-study budget
GRADING_CELL_TIMEOUT_S = 300


def kernel_env(grading: bool, results: Path) -> dict:
    """The kernels' environment: Keras on torch, one BLAS thread, no progress bars (a static page
    cannot show a widget), results recorded in ``results`` rather than the user's cache."""
    env = dict(os.environ, KERAS_BACKEND="torch", TQDM_DISABLE="1", RNNCOURSE_RESULTS=str(results), **KERNEL_THREADS)
    env.pop("NBGRADER_EXECUTION", None)
    if grading:
        env["NBGRADER_EXECUTION"] = "autograde"
    return env


def errors(nb) -> list[str]:
    """'cell N: Error: message' for every error output of an executed notebook."""
    return [f"cell {i}: {out.get('ename')}: {str(out.get('evalue'))[:500]}"
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]


def execute_solutions(course: Course, dest: Path, grading: bool) -> dict[str, float]:
    """Execute every solutions notebook into ``dest``; notebook name -> seconds it took.
    Raises RuntimeError, naming the cells, if any cell fails."""
    from nbclient import NotebookClient

    dest.mkdir(parents=True, exist_ok=True)
    folder = course.path("selfstudy") / SOLUTIONS
    env = kernel_env(grading, dest / "results.json")
    seconds, failed = {}, {}
    for assignment in course.assignments:
        name = course.notebook_name(assignment)
        nb = nbs.read(folder / name)
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=GRADING_CELL_TIMEOUT_S if grading else FULL_CELL_TIMEOUT_S,
                                kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}})
        client.execute(env=env)
        seconds[name] = time.perf_counter() - start
        nbs.write(nb, dest / name)
        if errors(nb):
            failed[name] = errors(nb)
    if failed:
        raise RuntimeError("the solutions edition does not run top to bottom:\n" +
                           "\n".join(f"{name}: {line}" for name, lines in failed.items() for line in lines))
    return seconds


def stage(course: Course, executed: Path, src: Path) -> None:
    """Sphinx's source folder: site/, the executed notebooks without the header, their pictures."""
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(course.root / SITE_CONFIG, src, ignore=shutil.ignore_patterns("__pycache__"))
    header_ids = {cell.get("id") for cell in nbs.read(course.root / HEADER).cells} | {SOLUTIONS_NOTE_ID}
    for assignment in course.assignments:
        name = course.notebook_name(assignment)
        nb = nbs.read(executed / name)
        nb.cells = [cell for cell in nb.cells if cell.get("id") not in header_ids]
        nbformat.write(nb, str(src / name))
        for relative, content in assets(course, assignment).items():
            (src / relative).parent.mkdir(parents=True, exist_ok=True)
            (src / relative).write_bytes(content)


def build(src: Path, out: Path) -> subprocess.CompletedProcess:
    """sphinx-build beside ``src`` (myst-nb writes a jupyter_execute/ folder next to its output),
    every warning an error, then the pages moved to ``out``; the completed process."""
    html, doctrees = src.parent / "html", src.parent / "doctrees"
    for folder in (html, out):
        if folder.exists():
            shutil.rmtree(folder)
    built = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                            "-d", str(doctrees), str(src), str(html)], capture_output=True, text=True)
    if built.returncode == 0:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(html, out)
    return built


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script", "source", "iframe"):
                self.links.append((tag, attrs[key]))


def broken_site_links(out: Path) -> list[str]:
    """'page: target' for every relative link, picture, stylesheet or script of the site that
    points at no file, or at an #anchor the page does not have."""
    pages = {}
    for page in sorted(out.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    broken = []
    for page, parser in pages.items():
        for tag, target in parser.links:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith(("mailto:", "javascript:", "data:")):
                continue
            path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                broken.append(f"{page.relative_to(out.resolve())}: {target}")
            elif parts.fragment and path in pages and unquote(parts.fragment) not in pages[path].ids:
                broken.append(f"{page.relative_to(out.resolve())}: {target} (no such anchor)")
    return broken


def make_site(course: Course, out: Path, grading: bool, executed: Path | None = None,
              staging: Path | None = None) -> dict[str, float]:
    """Execute (unless ``executed`` holds the executed notebooks), stage (in ``staging``, default
    .cache/site/), build and link-check the site into ``out``; notebook -> seconds of execution.
    Raises RuntimeError on any failure."""
    seconds = {}
    with tempfile.TemporaryDirectory() as scratch:
        if executed is None:
            executed = Path(scratch) / "executed"
            seconds = execute_solutions(course, executed, grading)
        src = (staging or course.root / STAGING) / "src"
        stage(course, executed, src)
        built = build(src, out)
    if built.returncode != 0:
        raise RuntimeError(f"sphinx-build failed (exit {built.returncode}):\n{built.stdout[-5000:]}\n{built.stderr[-5000:]}")
    broken = broken_site_links(out)
    if broken:
        raise RuntimeError("broken links in the site:\n" + "\n".join(broken))
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grading", action="store_true", help="execute at grading mode's small budgets (fast)")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default: {OUTPUT}/ in the course)")
    args = parser.parse_args(argv)
    course = Course.find()
    out = args.out or course.root / OUTPUT
    try:
        seconds = make_site(course, out, args.grading)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    for name, took in seconds.items():
        print(f"executed solutions/{name} in {took:.0f} s")
    print(f"site: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
