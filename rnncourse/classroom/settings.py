"""The classroom's settings: ``hub/classroom.toml`` of the course, then the machine's own file.

    settings = load(course_root)        # hub/classroom.toml, then $RNNCOURSE_CLASSROOM if set
    settings.exchange, settings.students, settings.mode, settings.url

Every knob of the classroom is a key of ``hub/classroom.toml`` (deployment as configuration,
as TLJH's config.yaml or Zero to JupyterHub's values.yaml): nothing else reads a setting of its
own. ``RNNCOURSE_CLASSROOM`` names a second file with the same keys, for one machine's values
(a port, another exchange); it is read after the course's file.
"""

from __future__ import annotations

import grp
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..grading import config

FILE = "hub/classroom.toml"
# A Unix account name nbgrader can use as a student id: no '+', which nbgrader's exchange uses
# to separate the student, the assignment and the time in a submission's name.
NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
MODES = ("auto", "unix", "single")


class SettingsError(ValueError):
    """A setting that cannot work, with the file and key to fix."""


@dataclass(frozen=True)
class Settings:
    root: Path  # the course directory
    ip: str
    port: int
    state: Path
    proxy: Path
    extra_config: Path | None
    mode: str  # "unix" or "single" ("auto" resolved)
    instructor: str
    students: tuple[str, ...]
    instructors_group: str
    home: Path
    exchange: Path
    late_penalty: str
    tmp_size: str
    sources: tuple[Path, ...] = ()  # the files read, in order

    @property
    def course_id(self) -> str:
        return config.COURSE_ID

    @property
    def url(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else ("127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip)
        return f"http://{host}:{self.port}"

    @property
    def users(self) -> tuple[str, ...]:
        return (self.instructor, *self.students)

    @property
    def passwords(self) -> Path:
        """Where the generated passwords are written (inside the private state folder)."""
        return self.state / "passwords.txt"

    @property
    def course_exchange(self) -> Path:
        return self.exchange / self.course_id

    def student_home(self, name: str) -> Path:
        """A student's folder: their Unix home (unix mode), or a folder of the state (single mode)."""
        if self.mode == "single":
            return self.state / "homes" / name
        import pwd

        try:
            return Path(pwd.getpwnam(name).pw_dir)
        except KeyError:
            return self.home / name


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise SettingsError(f"{path} is missing") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: {error}") from None


def defaults_file() -> Path:
    """The committed ``hub/classroom.toml`` next to this package (the checkout's)."""
    return Path(__file__).resolve().parents[2] / FILE


def load(root: Path, override: str | os.PathLike | None = None) -> Settings:
    """The settings of the course at ``root``: its ``hub/classroom.toml`` (else the checkout's),
    then ``override`` or ``$RNNCOURSE_CLASSROOM``."""
    root = Path(root).resolve()
    own = root / FILE
    sources = [own if own.is_file() else defaults_file()]
    extra = override or config.setting("RNNCOURSE_CLASSROOM")
    if extra:
        sources.append(Path(extra).resolve())
    raw: dict = {}
    for source in sources:
        raw = _merge(raw, _read(source))
    try:
        return _build(root, raw, tuple(sources))
    except KeyError as missing:
        raise SettingsError(f"{sources[0]} has no setting {missing}") from None


def _path(root: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else root / path


def _build(root: Path, raw: dict, sources: tuple[Path, ...]) -> Settings:
    hub, accounts, exchange = raw["hub"], raw["accounts"], raw["exchange"]
    where = " or ".join(str(s) for s in sources)
    mode = accounts["mode"]
    if mode not in MODES:
        raise SettingsError(f"[accounts] mode = {mode!r} in {where}: use one of {', '.join(MODES)}")
    if mode == "auto":
        mode = "unix" if os.geteuid() == 0 else "single"
    names = [accounts["instructor"], *accounts["students"]]
    for name in names:
        if not NAME.match(str(name)):
            raise SettingsError(f"[accounts] {name!r} in {where} is not a usable account name "
                                "(lowercase letters, digits, '-' and '_', no '+', at most 32 characters)")
    if len(set(names)) != len(names):
        raise SettingsError(f"[accounts] in {where}: the instructor and the students must have different names")
    late = str(raw["grading"]["late_penalty"])
    if late not in ("none", "zero"):
        try:
            fraction = float(late)
        except ValueError:
            fraction = -1.0
        if not 0 < fraction <= 1:
            raise SettingsError(f"[grading] late_penalty = {late!r} in {where}: use \"none\", \"zero\" or a "
                                "fraction per started day late between 0 and 1, e.g. 0.1")
    port = int(hub["port"])
    if not 0 < port < 65536:
        raise SettingsError(f"[hub] port = {port} in {where} is not a TCP port")
    exchange_root = Path(exchange["root"])
    if not exchange_root.is_absolute():
        raise SettingsError(f"[exchange] root = {exchange_root} in {where} must be an absolute path")
    return Settings(
        root=root, ip=str(hub["ip"]), port=port, state=_path(root, hub["state"]),
        proxy=_path(defaults_file().parents[1], hub["proxy"]),
        extra_config=_path(root, hub["extra_config"]) if hub.get("extra_config") else None, mode=mode,
        instructor=accounts["instructor"], students=tuple(accounts["students"]),
        instructors_group=accounts["instructors_group"], home=Path(accounts["home"]), exchange=exchange_root,
        late_penalty=late, tmp_size=str(raw["servers"]["tmp_size"]), sources=sources)


def group_shared(root: Path, settings: Settings) -> bool:
    """True when the course directory is shared with the instructor's account through the
    instructors' group (set up by ``make hub`` in unix mode): nbgrader then runs with
    ``groupshared`` and ``collect`` requires every submission to be owned by its student."""
    try:
        return os.stat(root).st_gid == grp.getgrnam(settings.instructors_group).gr_gid
    except (KeyError, OSError):
        return False
