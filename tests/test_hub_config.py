"""The classroom's configuration, without a hub: settings, views, the late policy, single mode's login."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from traitlets.config import Config

from rnncourse.classroom import accounts, exchange, late, provision, settings, views
from rnncourse.classroom.auth import PasswordFileAuthenticator
from rnncourse.grading import config
from support import ROOT

CHECKOUT_SETTINGS = ROOT / "hub" / "classroom.toml"


def course_with(tmp_path: Path) -> Path:
    (tmp_path / "hub").mkdir(parents=True, exist_ok=True)
    (tmp_path / "hub" / "classroom.toml").write_text(CHECKOUT_SETTINGS.read_text())
    return tmp_path


def load_with(tmp_path: Path, text: str) -> settings.Settings:
    """The settings of a course in ``tmp_path/course``, with ``text`` as this machine's file."""
    own = tmp_path / "machine.toml"
    own.write_text(text)
    return settings.load(course_with(tmp_path / "course"), own)


def test_defaults_are_loopback_and_the_course_id(tmp_path):
    s = settings.load(course_with(tmp_path))
    assert (s.ip, s.port, s.url) == ("127.0.0.1", 8000, "http://127.0.0.1:8000")
    assert s.course_id == config.COURSE_ID == "rnn-names"
    assert s.exchange == Path("/srv/nbgrader/exchange") and s.state == tmp_path / ".hub"
    assert s.mode == ("unix" if os.geteuid() == 0 else "single")
    assert s.proxy == ROOT / "node_modules" / ".bin" / "configurable-http-proxy"


def test_a_machine_file_overrides_the_course_file(tmp_path, monkeypatch):
    own = tmp_path / "mine.toml"
    own.write_text('[hub]\nport = 8123\n[exchange]\nroot = "/tmp/x-exchange"\n')
    monkeypatch.setenv("RNNCOURSE_CLASSROOM", str(own))
    s = settings.load(course_with(tmp_path / "course"))
    assert (s.port, s.exchange, s.ip) == (8123, Path("/tmp/x-exchange"), "127.0.0.1")
    assert s.sources[-1] == own
    assert "RNNCOURSE_CLASSROOM" in config.ENVIRONMENT


@pytest.mark.parametrize("bad, named", [
    ('[hub]\nport = 70000', "port"),
    ('[accounts]\nstudents = ["a+b"]', "not a usable account name"),
    ('[accounts]\nmode = "root"', "mode"),
    ('[grading]\nlate_penalty = "2"', "late_penalty"),
    ('[exchange]\nroot = "relative/path"', "absolute"),
    ('[accounts]\ninstructor = "student1"', "different names"),
])
def test_a_bad_setting_names_itself(tmp_path, bad, named):
    own = tmp_path / "bad.toml"
    own.write_text(bad + "\n")
    with pytest.raises(settings.SettingsError, match=named) as error:
        settings.load(course_with(tmp_path / "course"), own)
    assert str(own) in str(error.value)


def test_a_students_view_holds_nothing_of_the_course(tmp_path):
    s = load_with(tmp_path, '[accounts]\nmode = "unix"\n')
    args = views.view(s, "student", "student1", Path("/home/student1"))
    targets = {args[i + 2] for i, a in enumerate(args) if a in ("--bind", "--ro-bind", "--bind-try")}
    assert not any(t == str(s.root) or t.startswith(str(s.root) + "/") for t in targets), targets
    assert {views.VIEW_SITE, views.VIEW_CONFIG, "/home/student1", str(s.exchange)} <= targets
    assert args[args.index("--bind-try") + 1] == str(s.exchange)  # a missing exchange does not stop a server
    teacher = views.view(s, "instructor", "instructor", Path("/home/instructor"))
    assert str(s.root) in {teacher[i + 2] for i, a in enumerate(teacher) if a == "--bind"}
    assert "--die-with-parent" in args and "--unshare-pid" in args


def test_become_drops_every_privilege():
    become = views.become("root")
    assert become[0] == "setpriv" and "--no-new-privs" in become and "--bounding-set=-all" in become
    assert "--inh-caps=-all" in become and "--init-groups" in become


@pytest.mark.parametrize("seconds, penalty", [(1, 1.0), (86400, 1.0), (86401, 2.0), (10 * 86400, 10.0)])
def test_daily_late_penalty(seconds, penalty):
    plugin = late.DailyPenalty(fraction_per_day=0.1)
    assert plugin.late_submission_penalty("s", 10.0, seconds) == pytest.approx(penalty)


def test_late_policies_configure_nbgrader():
    c = Config()
    late.configure(c, "zero")
    assert c.LateSubmissionPlugin.penalty_method == "zero"
    c = Config()
    late.configure(c, "0.25")
    assert c.AssignLatePenalties.plugin_class is late.DailyPenalty and c.DailyPenalty.fraction_per_day == 0.25


def test_single_mode_login_checks_the_generated_password(tmp_path):
    s = load_with(tmp_path, f'[accounts]\nmode = "single"\n[hub]\nstate = "{tmp_path}/st"\n')
    passwords = accounts.ensure_single(s)
    assert stat.S_IMODE(s.passwords.stat().st_mode) == 0o600
    assert accounts.read_passwords(s.passwords) == passwords
    assert accounts.passwords_for(s) == passwords, "kept from one start to the next"
    auth = PasswordFileAuthenticator(passwords_file=str(s.passwords), allowed_users=set(s.users))
    login = lambda name, password: asyncio.run(auth.authenticate(None, {"username": name, "password": password}))  # noqa: E731
    assert login("student1", passwords["student1"]) == "student1"
    assert login("student1", passwords["student2"]) is None
    assert login("intruder", passwords["student1"]) is None
    assert views.command(s, "student", "student1", ["jupyterhub-singleuser"]) == ["jupyterhub-singleuser"]
    assert s.student_home("student1") == s.state / "homes" / "student1"


def test_role_settings(tmp_path):
    s = load_with(tmp_path, f'[accounts]\nmode = "single"\n[hub]\nstate = "{tmp_path}/st"\n')
    provision.write_role_configs(s)
    student = views.state_config(s, "student")
    page = (student / "labconfig" / "page_config.json").read_text()
    assert all(name in page for name in provision.STUDENT_LAB_OFF)
    server = (student / "jupyter_server_config.json").read_text()
    assert '"nbgrader.server_extensions.formgrader": false' in server
    nbgrader = (student / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'rnn-names'" in nbgrader and "JUPYTERHUB_USER" in nbgrader
    teacher = (views.state_config(s, "instructor") / "jupyter_server_config.json").read_text()
    assert "frame-ancestors 'self'" in teacher


def test_exchange_check_names_each_fix(tmp_path):
    root = tmp_path / "exchange"
    assert "install -d -m 1777" in str(exchange.check(root, "rnn-names", shared=False)[0])
    exchange.prepare(root, "rnn-names", shared=False)
    assert exchange.check(root, "rnn-names", shared=False) == []
    os.chmod(root, 0o755)
    os.chmod(root / "rnn-names" / "inbound", 0o777)
    fixes = [p.fix for p in exchange.check(root, "rnn-names", shared=False)]
    assert fixes == [f"chmod 1777 {root}", f"chmod 2733 {root / 'rnn-names' / 'inbound'}"]
    with pytest.raises(exchange.ExchangeError, match=f"everyone to write.*Fix: chmod 1777 {root}"):
        exchange.prepare(root, "rnn-names", shared=False)
    assert stat.S_IMODE(root.stat().st_mode) == 0o755, "an existing root is the admin's: checked, never changed"
    os.chmod(root, 0o777)  # writable by everyone but not sticky: not enough for check either
    assert [p.fix for p in exchange.check(root, "rnn-names", shared=False)][0] == f"chmod 1777 {root}"
    os.chmod(root, 0o1777)
    exchange.prepare(root, "rnn-names", shared=False)
    assert exchange.check(root, "rnn-names", shared=False) == []


def test_prepare_makes_a_new_root_1777_and_leaves_an_existing_one_to_the_admin(tmp_path):
    root = tmp_path / "made" / "exchange"
    exchange.prepare(root, "rnn-names", shared=False)
    assert stat.S_IMODE(root.stat().st_mode) == 0o1777
    admins = tmp_path / "admins"
    admins.mkdir()
    os.chmod(admins, 0o770)
    with pytest.raises(exchange.ExchangeError, match="chmod 1777"):
        exchange.prepare(admins, "rnn-names", shared=False)
    assert stat.S_IMODE(admins.stat().st_mode) == 0o770 and not (admins / "rnn-names").exists()


@pytest.mark.parametrize("planted", ["link", "someone else's"])
def test_prepare_refuses_a_course_folder_it_should_not_take_over(tmp_path, planted):
    """Root's prepare chowns and chmods the course's folders of the exchange: never through a link,
    never one that a student (or anyone but root and the instructor) made first."""
    import pwd

    root = tmp_path / "exchange"
    root.mkdir()
    os.chmod(root, 0o1777)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chmod(elsewhere, 0o700)
    nobody = pwd.getpwnam("nobody").pw_uid
    if planted == "link":
        (root / "rnn-names").symlink_to(elsewhere)
    else:
        (root / "rnn-names").mkdir()
        os.chown(root / "rnn-names", nobody, -1)
    with pytest.raises(exchange.ExchangeError, match="symbolic link" if planted == "link" else "owned by nobody"):
        exchange.prepare(root, "rnn-names", shared=True, uid=os.geteuid(), gid=os.getegid())
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o700 and not any(elsewhere.iterdir())
    if planted != "link":
        assert (root / "rnn-names").stat().st_uid == nobody and not any((root / "rnn-names").iterdir())


@pytest.mark.parametrize("planted", ["lock", "folder", "hard link"])
def test_the_exchange_lock_never_follows_a_link(tmp_path, planted):
    """Root takes the lock in ``.grading/``, which the instructor's group may write: a link planted
    there must not make root truncate or chmod what it points to."""
    target = tmp_path / "precious"
    target.write_text("root's own file")
    os.chmod(target, 0o600)
    course = tmp_path / "course"
    (course / ".grading").mkdir(parents=True)
    if planted == "lock":
        (course / exchange.LOCK).symlink_to(target)
    elif planted == "hard link":
        os.link(target, course / exchange.LOCK)
    else:
        (course / ".grading").rmdir()
        (course / ".grading").symlink_to(tmp_path)
        target = tmp_path / "classroom.lock"
        target.write_text("root's own file")
        os.chmod(target, 0o600)
    with pytest.raises(exchange.LockError, match="remove it"):
        with exchange.exclusive(course, "a test"):
            pass
    assert target.read_text() == "root's own file" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with exchange.exclusive(tmp_path / "fresh", "a test"):  # the ordinary case still works
        assert stat.S_IMODE((tmp_path / "fresh" / exchange.LOCK).stat().st_mode) == 0o664


def test_the_formgrader_cannot_autograde_unsandboxed(monkeypatch, tmp_path):
    from rnncourse.classroom import nbconfig

    c = Config()
    c.Autograde.autograde_preprocessors = ["x"]
    monkeypatch.setenv("JUPYTERHUB_USER", "instructor")
    monkeypatch.delenv("RNNCOURSE_SANDBOX", raising=False)
    nbconfig.guard_autograde(c)
    assert c.Autograde.autograde_preprocessors == [nbconfig.RefuseUnsandboxedAutograde, "x"]
    c.Autograde.autograde_preprocessors = ["x"]
    monkeypatch.setenv("RNNCOURSE_SANDBOX", "1")  # make autograde's own runs
    nbconfig.guard_autograde(c)
    assert c.Autograde.autograde_preprocessors == ["x"]


@pytest.fixture
def shared_course():
    """A course folder shared by ``share_course`` with the group ``staff``, in a folder other users
    can reach; (root, gid). ``nobody`` runs in it or outside it with setpriv (:func:`as_nobody`)."""
    import grp
    import shutil
    import tempfile

    from rnncourse.grading.course import Course

    top = Path(tempfile.mkdtemp(prefix="shared-course-", dir="/tmp"))
    os.chmod(top, 0o755)
    root = top / "course"
    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("# root's\n")
    os.chmod(root, 0o755)
    gid = grp.getgrnam("staff").gr_gid
    provision.share_course(Course(root, course_id="rnn-names"), gid)
    try:
        yield root, gid
    finally:
        shutil.rmtree(top)


def as_nobody(code: str, group: int | None = None) -> str:
    """``code`` run by ``nobody``, a member of ``group`` or of no group but its own."""
    import subprocess
    import sys

    groups = [f"--groups={group}"] if group is not None else ["--clear-groups"]
    proc = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", *groups, sys.executable, "-I", "-c", code],
                          capture_output=True, text=True)
    return proc.stdout + proc.stderr


def test_the_instructors_group_cannot_replace_roots_files_in_the_course_folder(shared_course):
    root, gid = shared_course
    assert stat.S_IMODE(root.stat().st_mode) & 0o3070 == 0o3070  # setgid, sticky, the group's rwx
    tried = as_nobody(f"import os\nopen({str(root / 'mine.txt')!r}, 'w').write('x'); print('CREATED')\n"
                      f"try:\n    os.rename({str(root / 'nbgrader_config.py')!r}, {str(root / 'old.py')!r}); print('RENAMED')\n"
                      "except OSError as e: print('REFUSED', e.errno)", gid)
    assert "CREATED" in tried and "REFUSED 1" in tried, tried
    assert (root / "nbgrader_config.py").read_text() == "# root's\n"


def test_no_student_reaches_the_course_folder_past_their_view(shared_course):
    root, _ = shared_course
    assert stat.S_IMODE(root.stat().st_mode) & 0o007 == 0
    tried = as_nobody(f"import os\ntry:\n    os.listdir({str(root)!r}); print('LISTED')\n"
                      "except OSError as e: print('REFUSED', e.errno)")
    assert "REFUSED 13" in tried, tried


def test_students_get_no_login_shell_and_earlier_accounts_lose_theirs(tmp_path):
    """A student works only in their view: no ssh or console login with their password."""
    import pwd
    import subprocess

    prefix = f"t{os.getpid()}acct"
    s = load_with(tmp_path, f'[hub]\nstate = "{tmp_path}/state"\n[accounts]\nmode = "unix"\n'
                            f'instructor = "{prefix}-ins"\nstudents = ["{prefix}-s1"]\n'
                            f'instructors_group = "{prefix}-instructors"\nhome = "{tmp_path}/home"\n')
    try:
        accounts.ensure_accounts(s)
        assert pwd.getpwnam(f"{prefix}-s1").pw_shell == accounts.NO_LOGIN
        assert pwd.getpwnam(f"{prefix}-ins").pw_shell == "/bin/bash"
        subprocess.run(["usermod", "--shell", "/bin/bash", f"{prefix}-s1"], check=True)  # as an earlier make hub left it
        accounts.ensure_accounts(s)
        assert pwd.getpwnam(f"{prefix}-s1").pw_shell == accounts.NO_LOGIN
    finally:
        for name in s.users:
            accounts.remove_account(name)
        subprocess.run(["groupdel", s.instructors_group], capture_output=True)


def test_servers_inside_stops_at_the_first_process_that_is_not_bubblewrap(tmp_path):
    """The spawner signals the server inside a view: bubblewrap's processes are walked through (one
    /proc walk, hub.descendants), the server's own children are not."""
    import subprocess
    import time

    from rnncourse.classroom.hub import descendants
    from rnncourse.classroom.spawner import servers_inside

    fake = tmp_path / "bwrap"  # its processes are named bwrap
    fake.symlink_to("/bin/sh")
    outer = subprocess.Popen([str(fake), "-c", f"{fake} -c \"sh -c 'sleep 60; :' & wait\" & wait"])
    def comm(pid):
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:  # gone meanwhile
            return None

    try:
        deadline = time.time() + 10
        while True:  # until the tree is up, sleep included (a forked child is named sh until it execs)
            found = descendants(outer.pid)
            names = [comm(pid) for pid in found]
            if names == ["bwrap", "sh", "sleep"] or time.time() > deadline:
                break
            time.sleep(0.05)
        assert names == ["bwrap", "sh", "sleep"], names
        inner, server, sleep = found
        assert servers_inside(outer.pid) == [server]
        assert descendants(outer.pid, into=lambda p: False) == [inner]
    finally:
        for pid in descendants(outer.pid):
            os.kill(pid, 9)
        outer.kill()
        outer.wait()


def test_exchange_commands_leave_a_shared_course_group_writable(shared_course, tmp_path):
    """root's umask (022) would make submitted/<student> 2755 in `make collect`: the instructor's next
    collect could not replace it. In a course shared with the instructors' group the exchange commands
    run with umask 002; elsewhere with the caller's."""
    import sys

    from rnncourse.classroom import __main__ as cli
    from rnncourse.grading.course import Course

    root, _ = shared_course
    machine = tmp_path / "machine.toml"
    machine.write_text('[accounts]\ninstructors_group = "staff"\n')
    alone = tmp_path / "alone"
    (alone / "submitted").mkdir(parents=True)
    mkdir = [sys.executable, "-c", "import os; os.mkdir(os.path.join('submitted', 'student'))"]
    before = os.umask(0o022)
    try:
        for course_root in (root, alone):
            s = settings.load(course_with(course_root), machine)
            cli._run(Course(course_root, course_id="rnn-names"), s, mkdir, "mkdir")
    finally:
        os.umask(before)
    assert stat.S_IMODE((root / "submitted" / "student").stat().st_mode) == 0o2775
    assert stat.S_IMODE((alone / "submitted" / "student").stat().st_mode) == 0o755
