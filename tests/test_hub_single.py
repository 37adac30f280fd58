"""Single mode: the hub run by one user for everyone (what `make hub` does without root), end to end.

The hub runs here as root with ``mode = "single"``, so every server runs as root: the same code
path as a normal user's hub, minus the uid. A student logs in with a generated password (checked
by the hub, not PAM), fetches and submits in the Assignments panel, and the submission carries
their hub name, not the one Unix user's (nbgrader would otherwise name every submission after it).
"""

from __future__ import annotations

import pytest

from browser import Person, chromium, step
from classroom import free_port, instructor
from hostile import fixture
from rnncourse.classroom.accounts import read_passwords
from rnncourse.classroom.hub import Hub
from rnncourse.classroom.settings import load
from support import fixture_course, output

pytestmark = pytest.mark.xdist_group("hub_single")

H1 = fixture.ASSIGNMENT


def test_single_mode_round_trip(tmp_path):
    course = fixture_course(tmp_path / "course")
    (course.root / "hub").mkdir()
    (course.root / "hub" / "classroom.toml").write_text(f"""\
[hub]
ip = "127.0.0.1"
port = {free_port()}
state = "{tmp_path}/state"
proxy = "node_modules/.bin/configurable-http-proxy"
extra_config = ""
[accounts]
mode = "single"
instructor = "teacher"
students = ["alice", "bob"]
instructors_group = "unused"
home = "/home"
[exchange]
root = "{tmp_path}/exchange"
[grading]
late_penalty = "none"
[servers]
tmp_size = "256M"
""")
    settings = load(course.root)
    hub = Hub(settings, course)
    try:
        hub.start()
        released = instructor(settings, "release-assignment", H1)
        assert released.returncode == 0, output(released)
        passwords = read_passwords(settings.passwords)
        with chromium() as browser:
            wrong = Person(browser, settings.url, "alice", passwords["bob"])
            with step("single mode refuses a wrong password"):
                wrong.page.goto(f"{settings.url}/hub/login")
                wrong.page.fill("#username_input", "alice")
                wrong.page.fill("#password_input", passwords["bob"])
                wrong.page.click("#login_submit")
                wrong.page.get_by_text("Invalid username or password").wait_for(timeout=60_000)
            wrong.close()
            alice = Person(browser, settings.url, "alice", passwords["alice"])
            with step("single mode: alice fetches and submits"):
                alice.login()
                alice.assignments()
                alice.fetch(H1)
                alice.submit(H1, count=1)
            alice.close()
        assert (settings.state / "homes" / "alice" / H1 / fixture.NOTEBOOK).is_file()
        submitted = [p.name for p in (settings.course_exchange / "inbound").iterdir()]
        assert len(submitted) == 1 and submitted[0].startswith(f"alice+{H1}+"), submitted
    finally:
        hub.stop()
