"""Every knob is named in one documented place: docs/configuration.md.

- every ``RNNCOURSE_*`` name in the repository's code is a key of ``config.ENVIRONMENT``, and
  every key is read somewhere (test-only names excepted, by the explicit list below);
- the documented table of environment variables is ``config.ENVIRONMENT``'s, row for row;
- every Makefile variable a user sets on the command line, and every nbgrader setting of
  ``nbgrader_config.py``, is documented.
"""

import re
from pathlib import Path

from rnncourse.grading import config
from support import ROOT

DOC = ROOT / "docs" / "configuration.md"
NAME = re.compile(r"\bRNNCOURSE_[A-Z0-9_]+\b")
# Set by a test for itself, read by nothing else.
TEST_ONLY = {"RNNCOURSE_TEST_SECRET"}
# What is not code: docs, generated copies of source/, data, and what commands or users create.
SKIPPED_DIRS = {".git", ".venv", "docs", "release", "notebooks", "submitted", "autograded", "feedback", ".grading",
                ".demo", "_site", "__pycache__", ".pytest_cache", "node_modules"}
CODE_SUFFIXES = {".py", ".ipynb", ".sh", ".toml", ".cfg", ".ini", ".yml", ".yaml"}
CODE_NAMES = {"Makefile"}
SCRIPT_DIRS = {"tools", ".ci"}  # executable scripts without a suffix


def code_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if not path.is_file() or set(parts[:-1]) & SKIPPED_DIRS or parts[0] in SKIPPED_DIRS:
            continue
        if path.suffix in CODE_SUFFIXES or path.name in CODE_NAMES or (len(parts) == 2 and parts[0] in SCRIPT_DIRS):
            found.append(path)
    return found


def names_in_code(root: Path) -> dict[str, list[str]]:
    """RNNCOURSE_* name -> the file (relative) of each time it occurs."""
    names: dict[str, list[str]] = {}
    for path in code_files(root):
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            names.setdefault(name, []).append(str(path.relative_to(root)))
    return names


def environment_table(environment: dict) -> str:
    """The Markdown table docs/configuration.md must hold: one row per variable, in order."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, (default, meaning) in environment.items():
        rows.append(f"| `{name}` | {f'`{default}`' if default else '(unset)'} | {meaning} |")
    return "\n".join(rows)


def first_table(section: str) -> str:
    lines, started = [], False
    for line in section.splitlines():
        if line.startswith("|"):
            lines.append(line)
            started = True
        elif started:
            break
    return "\n".join(lines)


def section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_every_variable_in_the_code_is_in_the_environment_table():
    used = names_in_code(ROOT)
    unknown = {name: files for name, files in used.items() if name not in config.ENVIRONMENT and name not in TEST_ONLY}
    assert unknown == {}, ("add these to config.ENVIRONMENT (rnncourse/grading/config.py), read them with "
                           f"config.setting(), and document them in {DOC.relative_to(ROOT)}: {unknown}")
    unread = [name for name in config.ENVIRONMENT if len(used.get(name, [])) < 2]  # its own entry, and a use
    assert unread == [], f"config.ENVIRONMENT lists variables that no code reads: {unread}"
    assert TEST_ONLY <= set(used), f"stale test-only names: {TEST_ONLY - set(used)}"


def test_the_scan_sees_a_new_name(tmp_path):
    """The scan above would catch a variable someone adds without the table (names built here, so
    that the scan of this file does not see them)."""
    made_up, in_script, in_make, in_docs = ("RNNCOURSE_" + n for n in ("MADE_UP", "IN_A_SCRIPT", "IN_MAKE", "IN_DOCS"))
    (tmp_path / "rnncourse").mkdir()
    (tmp_path / "rnncourse" / "new.py").write_text(f'os.environ.get("{made_up}") or os.environ.get("{made_up}")\n')
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "script").write_text(f"echo ${in_script}\n")
    (tmp_path / "Makefile").write_text(f"x:\n\t{in_make}=1 true\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text(f"{in_docs}\n")
    assert names_in_code(tmp_path) == {made_up: ["rnncourse/new.py"] * 2, in_make: ["Makefile"],
                                       in_script: ["tools/script"]}


def test_the_documented_table_is_the_environment_table():
    documented = first_table(section(DOC.read_text(encoding="utf-8"), "Environment variables"))
    expected = environment_table(config.ENVIRONMENT)
    assert documented == expected, (f"{DOC.relative_to(ROOT)}'s table of environment variables is not "
                                    f"config.ENVIRONMENT's; replace it with:\n\n{expected}\n")
    names = re.findall(r"^\| `(RNNCOURSE_[A-Z0-9_]+)` \|", documented, flags=re.M)
    assert names == list(config.ENVIRONMENT) and len(names) >= 9


def makefile_variables(makefile: str) -> set[str]:
    """Variables a user sets: used as $(NAME) and never assigned, or assigned with ?= (a default)."""
    used = set(re.findall(r"\$\(([A-Z][A-Z0-9_]*)\)", makefile))
    assigned = set(re.findall(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)\s*:?=", makefile, flags=re.M))
    defaults = set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*\?=", makefile, flags=re.M))
    return (used - assigned - {"MAKEFILE_LIST", "CURDIR", "MAKE"}) | defaults


def test_every_makefile_variable_is_documented():
    found = makefile_variables((ROOT / "Makefile").read_text())
    assert {"A", "WORKERS", "SCHEDULER", "UNSANDBOXED", "FORCE", "PYTHON_SYS"} <= found, found
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)=?[^`]*` \|", section(DOC.read_text(), "Makefile variables"),
                                flags=re.M))
    assert found - documented == set(), f"document these Makefile variables in {DOC.relative_to(ROOT)}"


def test_every_nbgrader_setting_is_documented():
    settings = set(re.findall(r"^\s*c\.(\w+\.\w+)\s*=", (ROOT / "nbgrader_config.py").read_text(), flags=re.M))
    assert {"CourseDirectory.course_id", "Execute.timeout", "LimitOutput.max_lines"} <= settings, settings
    documented = set(re.findall(r"`(\w+\.\w+)`", section(DOC.read_text(), "nbgrader settings")))
    assert settings - documented == set(), f"document these nbgrader settings in {DOC.relative_to(ROOT)}"
