"""The grading sandbox (rnncourse/grading/sandbox.py) on its own: what a process inside can and
cannot do, and a real kernel started through its kernelspec and interrupted by message.

The hostile catalog (test_hostile.py) then grades bad submissions with it end to end."""

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rnncourse.grading import sandbox
from rnncourse.grading.settings import ROOT

pytestmark = pytest.mark.xdist_group("sandbox")


@pytest.fixture
def course(tmp_path):
    """A fake course root: the package and data the kernel needs, and things it must not see."""
    root = tmp_path / "course"
    (root / "rnncourse").mkdir(parents=True)
    (root / "rnncourse" / "__init__.py").write_text("WHERE = 'course copy'\n")
    (root / "data").mkdir()
    (root / "data" / "names.txt").write_text("Ada\nBo\n")
    (root / "gradebook.db").write_text("scores")
    (root / "submitted" / "other" / "a1").mkdir(parents=True)
    (root / "submitted" / "other" / "a1" / "nb.ipynb").write_text("other student's work")
    (root / "source").mkdir()
    (root / "source" / "hidden.ipynb").write_text("hidden tests")
    work = root / "autograded" / "me" / "a1"
    work.mkdir(parents=True)
    (work / "nb.ipynb").write_text("my notebook")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return root, work, scratch


def run_inside(course, code, **kw):
    root, work, scratch = course
    cmd = sandbox.command([sys.executable, "-c", code], work, scratch, root=root)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def test_the_sandbox_works_here():
    assert sandbox.check() is None


def test_only_the_course_package_and_data_are_visible(course):
    root, work, _ = course
    probe = f"""import os, rnncourse
print(rnncourse.WHERE)
print(sorted(os.listdir({str(root)!r})))
print(open({str(root / 'data' / 'names.txt')!r}).read().split())
print(sorted(os.listdir('/root')) if os.path.exists('/root') else [])
for path in [{str(root / 'gradebook.db')!r}, {str(root / 'submitted')!r}, {str(root / 'source')!r}, '/home',
             '/etc/shadow', {str(ROOT / 'gradebook.db')!r}, {str(ROOT / 'source')!r}]:
    print(path, os.path.exists(path))
"""
    proc = run_inside(course, probe)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "course copy"  # the course's own package, not the venv's editable install
    assert lines[1] == str(sorted(["autograded", "data", "rnncourse"]))
    assert lines[2] == str(["Ada", "Bo"])
    # /root holds only the mount points of the Python installation, if that lives there
    assert lines[3] == str([".pyenv"] if sys.base_prefix.startswith("/root/.pyenv") else [])
    assert all(line.endswith(" False") for line in lines[4:]), lines[4:]


def test_writes_land_only_in_scratch(course):
    root, work, scratch = course
    probe = f"""import os
open('nb.ipynb', 'w').write('tampered')
open('new.txt', 'w').write('new')
print(open('nb.ipynb').read())
for path in [{str(root / 'rnncourse' / 'x.py')!r}, {str(root / 'data' / 'names.txt')!r}, '/usr/x', {sys.prefix!r} + '/x']:
    try:
        open(path, 'w').write('x')
        print('WROTE', path)
    except OSError as error:
        print('refused', error.errno)
"""
    proc = run_inside(course, probe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "tampered"
    assert "WROTE" not in proc.stdout and proc.stdout.count("refused") == 4
    assert (work / "nb.ipynb").read_text() == "my notebook" and not (work / "new.txt").exists()
    assert (root / "data" / "names.txt").read_text() == "Ada\nBo\n"
    assert (scratch / "work" / "new.txt").read_text() == "new"


def test_no_network_not_even_the_graders_loopback(course):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen = []
    threading.Thread(target=lambda: seen.append(server.accept()), daemon=True).start()
    port = server.getsockname()[1]
    probe = f"""import socket
for host, port in [('127.0.0.1', {port}), ('1.1.1.1', 53)]:
    try:
        socket.create_connection((host, port), timeout=2)
        print('CONNECTED', host)
    except OSError as error:
        print('refused', host)
"""
    proc = run_inside(course, probe)
    server.close()
    assert proc.stdout.split() == ["refused", "127.0.0.1", "refused", "1.1.1.1"], proc.stdout + proc.stderr
    assert seen == []


def test_limits_user_and_environment(course):
    os.environ["RNNCOURSE_TEST_SECRET"] = "grader-only"
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        probe = """import os, resource
print(resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0],
      resource.getrlimit(resource.RLIMIT_FSIZE)[0], resource.getrlimit(resource.RLIMIT_CORE)[0])
print(os.getuid(), [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0])
print('RNNCOURSE_TEST_SECRET' in os.environ, 'JPY_PARENT_PID' in os.environ, os.environ['NBGRADER_EXECUTION'])
print(len([p for p in os.listdir('/proc') if p.isdigit()]))
try:
    bytearray(5 << 30)
    print('allocated')
except MemoryError:
    print('MemoryError')
try:
    with open('big', 'wb') as f:
        f.write(b'x' * (300 << 20))
    print('wrote big')
except OSError as error:
    print('EFBIG', error.errno)
"""
        proc = run_inside(course, probe)
    finally:
        for name in ("RNNCOURSE_TEST_SECRET", "JPY_PARENT_PID", "NBGRADER_EXECUTION"):
            del os.environ[name]
    assert proc.returncode == 0, proc.stderr
    limits, who, env, processes, memory, big = proc.stdout.splitlines()
    assert limits.split() == [str(sandbox.LIMITS[k]) for k in ("as", "nproc", "fsize", "core")]
    uid, caps = who.split()
    if os.geteuid() == 0:
        assert int(uid) >= 200_000 and int(caps, 16) == 0
    assert env == "False False autograde"
    assert int(processes) <= 3  # its own PID namespace: bwrap's init, python
    assert memory == "MemoryError"
    assert big.startswith("EFBIG")


def test_a_fork_bomb_stops_at_the_process_limit(course):
    probe = """import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as error:
    print('stopped', children, error.errno)
"""
    proc = run_inside(course, probe)
    assert proc.stdout.startswith("stopped"), proc.stdout + proc.stderr
    assert 0 < int(proc.stdout.split()[1]) < sandbox.LIMITS["nproc"]


def test_kernelspec_and_a_real_kernel_interrupted_by_message(tmp_path):
    from jupyter_client import KernelManager

    folder = sandbox.install_kernelspec()
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["interrupt_mode"] == "message"
    assert spec["argv"][1:] == ["-m", "rnncourse.grading.sandbox", "launch", "{connection_file}"]
    sockets = tmp_path / "ipc"
    sockets.mkdir()
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME, transport="ipc", ip=str(sockets / "kernel"))
    km.start_kernel(cwd=str(tmp_path), env=dict(os.environ))
    client = km.client()
    client.start_channels()
    outputs = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("import os; print(os.getuid(), os.path.exists('/etc/shadow'))",
                                           timeout=60, output_hook=lambda msg: outputs.append(msg))
        assert reply["content"]["status"] == "ok"
        printed = "".join(m["content"].get("text", "") for m in outputs)
        assert printed.split()[1] == "False"
        client.execute("while True: pass")
        threading.Timer(2, km.interrupt_kernel).start()
        reply = client.get_shell_msg(timeout=60)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def test_launch_refuses_tcp(tmp_path):
    conn = tmp_path / "kernel.json"
    conn.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1", "shell_port": 1}))
    proc = subprocess.run([sys.executable, "-m", "rnncourse.grading.sandbox", "launch", str(conn)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and "ipc transport" in proc.stderr


def test_limits_are_sane_for_this_machine():
    """The address-space limit leaves every grading kernel its room (measured: under 1 GiB to
    import torch and keras) while stopping a bomb well before the machine's memory is gone."""
    assert 2 << 30 <= sandbox.LIMITS["as"] <= 16 << 30
    assert sandbox.LIMITS["nproc"] > 64  # torch's threads
