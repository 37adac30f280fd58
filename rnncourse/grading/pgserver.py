"""A throwaway PostgreSQL server on loopback, for the PostgreSQL gradebook's tests and for trying it out.

    python -m rnncourse.grading.pgserver [--port PORT]

prints a SQLAlchemy URL (``postgresql+psycopg2://grader:PASSWORD@127.0.0.1:PORT/gradebook``) on
its first line and serves until Ctrl-C, then removes everything. In Python::

    with PostgresServer() as url:
        os.environ["RNNCOURSE_DB_URL"] = url    # nbgrader_config.py passes it to nbgrader's db_url

The server runs the Debian package's binaries (``/usr/lib/postgresql/<version>/bin``, package
``postgresql``; ``tools/system-packages`` installs it) from a temporary folder: a fresh cluster,
one login role with a random password that owns one database, TCP on 127.0.0.1 only, and a unix
socket in the same folder for the setup. PostgreSQL refuses to run as root, so under root the
server runs as the ``postgres`` system user (or ``nobody``), which then owns the folder.

The cluster runs with ``fsync=off``: it is meant to be thrown away, never to keep real grades.
A real course points ``RNNCOURSE_DB_URL`` at a managed server instead (see the README).
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .config import COURSE_ID, setting
from .course import venv_first

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"  # the cluster's own superuser, reached only through the private unix socket
START_TIMEOUT_S = 60


class PostgresError(RuntimeError):
    pass


def find_bin_dir() -> Path:
    """The newest PostgreSQL server's bin folder (``RNNCOURSE_PG_BIN`` overrides it)."""
    override = setting("RNNCOURSE_PG_BIN")
    if override:
        candidates = [Path(override)]
    else:
        candidates = sorted((Path(p) for p in glob.glob(BIN_GLOB)), key=_version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    where = override or BIN_GLOB
    raise PostgresError(f"no PostgreSQL server binaries (initdb, postgres) in {where}: install the Debian package "
                        "'postgresql' (tools/system-packages, run by make test, does it: "
                        "apt-get install -y postgresql)")


def _version(folder: Path) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run PostgreSQL as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresError("running as root, and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


def create_schema(url: str, course_id: str = COURSE_ID) -> None:
    """Create nbgrader's tables and course rows in an empty gradebook database, once.

    nbgrader's ``Gradebook`` creates its schema, and then its course's row, on first use, each by
    check-then-create: graders opening a fresh PostgreSQL database at the same moment race, and
    the losers fail (``duplicate key value violates unique constraint "pg_type_typname_nsp_index"``
    from the enum types, or ``... "course_pkey"``). Doing it before the graders start avoids both.
    Runs nbgrader in a subprocess, with this venv's ``alembic`` on PATH, as nbgrader needs.
    """
    code = "import sys\nfrom nbgrader.api import Gradebook\nGradebook(sys.argv[1], course_id=sys.argv[2]).close()\n"
    env = {**os.environ, "PATH": venv_first(os.environ.get("PATH", ""))}
    proc = subprocess.run([sys.executable, "-c", code, url, course_id], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise PostgresError(f"creating nbgrader's schema failed:\n{proc.stdout[-2000:]}")


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, serving one database on 127.0.0.1.

    ``start()`` (or ``with``) returns the SQLAlchemy URL; ``stop()`` shuts the server down and
    deletes the folder. With ``schema`` (the default) nbgrader's tables are created at start
    (:func:`create_schema`); without it the database is left empty, as a new server's would be.
    """

    def __init__(self, user: str = "grader", database: str = "gradebook", port: int | None = None,
                 schema: bool = True):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", user) or not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
            raise ValueError("user and database names: lower-case letters, digits and _")
        self.user, self.database, self.port, self.schema = user, database, port, schema
        self.password = secrets.token_hex(16)
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self.url = ""

    # --- running the server's binaries, unprivileged under root
    def _run_as(self) -> dict:
        account = _server_user()
        if account is None:
            return {}
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", TZ="UTC")
        account = _server_user()
        if account is not None:
            env.update(HOME=str(self.folder), USER=account.pw_name, LOGNAME=account.pw_name)
        return env

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def _log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> str:
        if self.process is not None:
            return self.url
        bin_dir = find_bin_dir()
        try:
            import psycopg2  # noqa: F401 (the gradebook's driver; checked before anything starts)
        except ImportError as error:
            raise PostgresError("psycopg2 is not installed: pip install -r requirements.txt "
                                "(psycopg2-binary)") from error
        self.folder = Path(tempfile.mkdtemp(prefix="rnnc-pg-"))
        account = _server_user()
        if account is not None:
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        try:
            self._initdb(bin_dir)
            for attempt in range(3):  # a free port can be taken by someone else before the server binds it
                port = self.port or free_port()
                try:
                    self._serve(bin_dir, port)
                    break
                except PostgresError:
                    if self.port or attempt == 2 or "could not bind" not in self._log_tail():
                        raise
            self.port = port
            self._create_role_and_database()
            self.url = f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"
            if self.schema:
                create_schema(self.url)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _initdb(self, bin_dir: Path) -> None:
        proc = subprocess.run([str(bin_dir / "initdb"), "-D", str(self.folder / "data"), "-U", SUPERUSER,
                               "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
                               "--no-instructions"],
                              cwd=self.folder, env=self._env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **self._run_as())
        if proc.returncode != 0:
            raise PostgresError(f"initdb failed (exit code {proc.returncode}):\n{proc.stdout[-2000:]}")

    def _serve(self, bin_dir: Path, port: int) -> None:
        settings = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": str(self.folder),
                    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}
        args = [str(bin_dir / "postgres"), "-D", str(self.folder / "data")]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with open(self.log_path, "ab") as log:
            # A session of its own: a Ctrl-C meant for the CLI reaches the server only through stop().
            self.process = subprocess.Popen(args, cwd=self.folder, env=self._env(), stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                            **self._run_as())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise PostgresError(f"the PostgreSQL server exited at start:\n{self._log_tail()}")
            if self._ready(port):
                return
            time.sleep(0.1)
        raise PostgresError(f"the PostgreSQL server did not accept connections within {START_TIMEOUT_S} s:\n"
                            f"{self._log_tail()}")

    def _admin(self, port: int | None = None, database: str = "postgres"):
        import psycopg2
        return psycopg2.connect(host=str(self.folder), port=port or self.port, user=SUPERUSER, dbname=database,
                                connect_timeout=5)

    def _ready(self, port: int) -> bool:
        import psycopg2
        try:
            self._admin(port).close()
            return True
        except psycopg2.OperationalError:
            return False

    def _create_role_and_database(self) -> None:
        connection = self._admin()
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE ROLE {self.user} LOGIN PASSWORD %s", (self.password,))
                # The grader owns its database: since PostgreSQL 15 only the owner may create tables
                # in the public schema, where nbgrader's Gradebook creates its schema.
                cursor.execute(f"CREATE DATABASE {self.database} OWNER {self.user}")
        finally:
            connection.close()

    def stop(self) -> None:
        """Shut the server down (fast shutdown: open sessions are ended) and delete its folder."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGQUIT)  # immediate shutdown
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--user", default="grader", help="login role to create (default: grader)")
    parser.add_argument("--database", default="gradebook", help="database to create (default: gradebook)")
    parser.add_argument("--empty", action="store_true", help="leave the database empty (no nbgrader tables)")
    args = parser.parse_args(argv)
    server = PostgresServer(args.user, args.database, args.port, schema=not args.empty)

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)  # also when started in the background, where SIGINT is ignored
    try:
        url = server.start()
    except PostgresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        print(url, flush=True)
        print(f"PostgreSQL {find_bin_dir().parent.name} on 127.0.0.1:{server.port}, data in {server.folder} "
              "(deleted on exit). Grade against it with:\n"
              f"  RNNCOURSE_DB_URL='{url}' make autograde\n"
              "Ctrl-C stops it.", file=sys.stderr, flush=True)
        while server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
        print(f"error: the server stopped by itself:\n{server._log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping the PostgreSQL server", file=sys.stderr)
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
