"""The classroom's commands (``python -m rnncourse.classroom <command>``; the Makefile wraps each).

    hub [--config FILE]                      JupyterHub for the course, until Ctrl-C   (make hub)
    setup [--config FILE]                    accounts, exchange, shared course; no hub  (make hub-setup)
    release-assignment A [--due WHEN] [--force]   nbgrader release_assignment        (make release-assignment)
    collect A                                nbgrader collect --update                  (make collect)
    release-feedback A                       nbgrader release_feedback                  (make release-feedback)
    lms-collect A ZIP [--lms canvas|moodle] [--roster CSV] [--force]   nbgrader zip_collect   (make lms-collect)
    lms-grades [--roster CSV] [--out FILE]   grades for Canvas's gradebook import      (make lms-grades)

The instructor's commands work as root at the shell or as the instructor in the hub's terminal.
Each checks the exchange first and, when something is wrong with it, says what and how to fix
it, and changes nothing.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

from ..grading.course import Course
from ..grading.runner import quiet
from . import exchange
from .hub import Hub, banner
from .provision import ProvisionError, provision
from .settings import Settings, SettingsError, group_shared, load


def cmd_hub(args) -> int:
    course = Course.find()
    settings = load(course.root, args.config)
    hub = Hub(settings, course)
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)
        raise KeyboardInterrupt

    # Ctrl-C, a terminal closing, or a kill: the same clean stop. (SIGINT is set explicitly: a shell
    # that starts `make hub &` makes it ignored, and Python then leaves it so.)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        seconds = hub.start()
        for line in hub.provisioned.done:
            print(f"  {line}")
        print(banner(settings, seconds), flush=True)
        hub.proc.wait()
        print(f"JupyterHub stopped by itself (exit code {hub.proc.returncode}); see {hub.log_path}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping the hub and every server it started...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the shutdown short
        hub.stop()


def cmd_setup(args) -> int:
    course = Course.find()
    settings = load(course.root, args.config)
    done = provision(settings, course).done
    print("\n".join(done) or "everything was already in place")
    print(f"passwords: {settings.passwords}")
    return 0


# --- the instructor's exchange commands -------------------------------------------------------------------

def _instructor_uid(settings: Settings, shared: bool) -> int | None:
    if not shared:
        return None
    import pwd

    try:
        return pwd.getpwnam(settings.instructor).pw_uid
    except KeyError:
        return None


def require_exchange(settings: Settings, course: Course) -> None:
    """Exit with every problem of the exchange and its fix; nothing is changed."""
    shared = group_shared(course.root, settings)
    problems = exchange.check(settings.exchange, settings.course_id, shared, _instructor_uid(settings, shared))
    if problems:
        raise SystemExit("The exchange is not usable, so nothing was done (nothing was changed or lost):\n"
                         + "\n".join(f"  - {p}" for p in problems))


def _course_and_settings(args) -> tuple[Course, Settings]:
    course = Course.find()
    settings = load(course.root, getattr(args, "config", None))
    if getattr(args, "assignment", None) and args.assignment not in _known(course):
        raise SystemExit(f"unknown assignment {args.assignment!r}; the course has {', '.join(_known(course))}")
    return course, settings


def _known(course: Course) -> list[str]:
    return sorted({*course.assignments, *(p.name for p in course.path("source").iterdir() if p.is_dir())})


def _env(settings: Settings, course: Course) -> dict:
    env = course.env()
    if len(settings.sources) > 1:
        env["RNNCOURSE_CLASSROOM"] = str(settings.sources[1])
    return env


def _umask(course: Course, settings: Settings) -> int:
    """The umask of the exchange commands: 0o002 when the course is shared with the instructors' group
    (what root makes in submitted/, feedback/, the exchange stays the group's to update and remove:
    with root's usual 022, ``make collect`` as root would leave submitted/<student> 2755, and the
    instructor's next collect could not replace it), else -1 (the caller's, unchanged)."""
    return 0o002 if group_shared(course.root, settings) else -1


def _nbgrader(course: Course, settings: Settings, *args: str) -> str:
    """Run an nbgrader command; its (filtered) output. Exits on failure with nbgrader's message.
    A wait for the exchange lock is shown as it happens."""
    return _run(course, settings, [sys.executable, "-m", "nbgrader", *args, "--log-level=INFO"], args[0])


def _run(course: Course, settings: Settings, argv: list[str], what: str) -> str:
    proc = subprocess.Popen(argv, cwd=course.root, env=_env(settings, course), umask=_umask(course, settings),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        if "waiting for" in line:
            print(line.rstrip(), flush=True)
        else:
            lines.append(line)
    proc.wait()
    shown = quiet("".join(lines))
    if proc.returncode != 0:
        raise SystemExit(f"{shown}\nnbgrader {what} failed (exit code {proc.returncode}); nothing else was done")
    return shown


def cmd_release_assignment(args) -> int:
    course, settings = _course_and_settings(args)
    require_exchange(settings, course)
    if not course.path("release", args.assignment).is_dir():
        raise SystemExit(f"release/{args.assignment}/ does not exist: run `make release A={args.assignment}` first")
    if args.due:
        _nbgrader(course, settings, "db", "assignment", "add", args.assignment, f"--duedate={args.due}")
    out = _nbgrader(course, settings, "release_assignment", args.assignment, *(["--force"] if args.force else []))
    print("\n".join(line for line in out.splitlines() if "Released as" in line or "WARNING" in line or "ERROR" in line))
    print(f"released {args.assignment} to {settings.course_exchange / 'outbound' / args.assignment}"
          + (f", due {args.due}" if args.due else ""))
    return 0


def cmd_collect(args) -> int:
    course, settings = _course_and_settings(args)
    require_exchange(settings, course)
    out = _nbgrader(course, settings, "collect", args.assignment, "--update")
    shown = [line for line in out.splitlines() if any(k in line for k in
             ("Collecting submission", "Updating submission", "No newer", "Refused", "No submissions", "claims",
              "cheating"))]
    print("\n".join(shown))
    refused = sum("Refused" in line for line in shown)
    students = course.submitted_students(args.assignment)
    print(f"{args.assignment}: {len(students)} submission(s) in submitted/ ({', '.join(students) or 'none'})"
          + (f"; {refused} refused (see above)" if refused else ""))
    return 0


def cmd_release_feedback(args) -> int:
    course, settings = _course_and_settings(args)
    require_exchange(settings, course)
    if not any(course.path("feedback").glob(f"*/{args.assignment}/*.html")):
        raise SystemExit(f"no feedback for {args.assignment} in feedback/: run `make feedback A={args.assignment}` first")
    out = _nbgrader(course, settings, "release_feedback", args.assignment)
    released = [line for line in out.splitlines() if "Releasing feedback" in line]
    print("\n".join(released))
    print(f"{args.assignment}: feedback released for {len(released)} notebook(s)")
    return 0


def cmd_lms_collect(args) -> int:
    from . import lms

    course, settings = _course_and_settings(args)
    archive = Path(args.zip)
    if not archive.is_file():
        raise SystemExit(f"{archive} does not exist")
    replaced = lms.existing(lms.targets(course, args.assignment, archive, args.lms, args.roster))
    if replaced and not args.force:
        raise SystemExit(f"{len(replaced)} student(s) of this download already have a submission of {args.assignment} "
                         f"in submitted/: {', '.join(replaced)}. Nothing was changed; FORCE=1 (--force) replaces "
                         "them with the download's.")
    lms.stage_download(course, args.assignment, archive)
    out = _nbgrader(course, settings, *lms.zip_collect_args(args.assignment, args.lms, args.roster, args.force))
    shown = [line for line in out.splitlines() if any(k in line for k in ("Skipped", "did not match", "Clearing"))]
    print("\n".join(shown))
    if replaced:
        print(f"replaced the earlier submission(s) of: {', '.join(replaced)}")
    students = course.submitted_students(args.assignment)
    print(f"{args.assignment}: {len(students)} submission(s) in submitted/ ({', '.join(students)})")
    return 0


def cmd_lms_grades(args) -> int:
    from . import lms

    course, _ = _course_and_settings(args)
    target = Path(args.out)
    count = lms.write_canvas_csv(course, target, args.roster)
    print(f"wrote {target} ({count} student(s)), for Canvas: Grades > Import")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rnncourse.classroom", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name, func, extra in (("hub", cmd_hub, ()), ("setup", cmd_setup, ())):
        s = sub.add_parser(name)
        s.add_argument("--config", help="a settings file read after hub/classroom.toml (RNNCOURSE_CLASSROOM)")
        s.set_defaults(func=func)
    s = sub.add_parser("release-assignment")
    s.add_argument("assignment")
    s.add_argument("--due", help='due date, e.g. "2026-03-01 17:00:00 Europe/Paris" (nbgrader db assignment add)')
    s.add_argument("--force", action="store_true", help="replace a release students may already have fetched")
    s.set_defaults(func=cmd_release_assignment)
    for name, func in (("collect", cmd_collect), ("release-feedback", cmd_release_feedback)):
        s = sub.add_parser(name)
        s.add_argument("assignment")
        s.set_defaults(func=func)
    s = sub.add_parser("lms-collect")
    s.add_argument("assignment")
    s.add_argument("zip")
    s.add_argument("--lms", choices=("canvas", "moodle"), default="canvas")
    s.add_argument("--roster", help="the LMS's gradebook export (CSV): student ids become logins")
    s.add_argument("--force", action="store_true", help="replace the download's students' existing submissions")
    s.set_defaults(func=cmd_lms_collect)
    s = sub.add_parser("lms-grades")
    s.add_argument("--roster", help="the LMS's gradebook export (CSV): its students, sections and column ids")
    s.add_argument("--out", default="canvas_grades.csv")
    s.set_defaults(func=cmd_lms_grades)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (SettingsError, ProvisionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
