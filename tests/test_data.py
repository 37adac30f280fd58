"""The committed datasets are exactly what data/make_data.py builds from the registry packages."""

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "rnncourse" / "datasets"
sys.path.insert(0, str(ROOT / "data"))
import make_data  # noqa: E402


def test_recorded_sha256_match_committed_files():
    recorded = make_data.recorded_sha256()
    assert set(recorded) == {"names.txt", "female.txt", "sonnets.txt"}
    for name, sha in recorded.items():
        assert hashlib.sha256((DATASETS / name).read_bytes()).hexdigest() == sha, name


def test_check_mode_passes_and_fails_on_a_changed_file(tmp_path):
    assert subprocess.run([sys.executable, str(ROOT / "data" / "make_data.py"), "--check"], capture_output=True).returncode == 0
    copy, datasets = tmp_path / "data", tmp_path / "rnncourse" / "datasets"
    copy.mkdir()
    datasets.mkdir(parents=True)
    for f in ["make_data.py", "README.md"]:
        (copy / f).write_bytes((ROOT / "data" / f).read_bytes())
    for f in ["names.txt", "female.txt", "sonnets.txt"]:
        (datasets / f).write_bytes((DATASETS / f).read_bytes())
    (datasets / "names.txt").write_text((datasets / "names.txt").read_text() + "Zzyzx\n")
    result = subprocess.run([sys.executable, str(copy / "make_data.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 1 and "MISMATCH" in result.stdout


def test_counts_and_format():
    names = (DATASETS / "names.txt").read_text().splitlines()
    female = (DATASETS / "female.txt").read_text().splitlines()
    assert len(names) == 5163 and len(set(names)) == 5163 and names == sorted(names)
    assert len(female) == 4275 and set(female) <= set(names)
    assert all(n[:1].isupper() and n[1:].islower() and n.isalpha() for n in names)
    sonnets = (DATASETS / "sonnets.txt").read_text()
    assert sonnets.startswith("I\n\nFrom fairest creatures we desire increase,")
    assert sonnets.rstrip().endswith("Love's fire heats water, water cools not love.")
    assert "THE SONNETS" not in sonnets and sonnets.count("\nCLIV\n") == 1


def test_census_parsing_and_sonnet_header_removal():
    assert make_data.census_names("MARY           2.629  2.629      1\nJOHN   1.0 2.0 2\n") == {"Mary", "John"}
    raw = "THE SONNETS\nby William Shakespeare\n\n\n\nI\n\nFrom fairest   \n"
    assert make_data.sonnets(raw) == "I\n\nFrom fairest\n"
