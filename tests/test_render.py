"""Every generated notebook, opened in JupyterLab in a real browser, shows no broken picture and no error box.

One JupyterLab server (127.0.0.1, a token) and one headless Chromium (Debian's, driven by Playwright)
for all of them: each notebook is opened through JupyterLab's own `docmanager:open` command, in one
page, then checked and closed. A failure keeps a screenshot in .cache/render/. The browser code is
self-contained here, to be merged with the classroom's browser tests.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser import chromium
from rnncourse.grading import editions
from rnncourse.grading import notebooks as nbs
from rnncourse.grading.pgserver import free_port
from support import ASSIGNMENTS, COURSE, ROOT

pytestmark = pytest.mark.xdist_group("render")

SCREENSHOTS = ROOT / ".cache" / "render"
# JupyterLab's user settings for the test: render every cell (not only those in view), no news
# pop-up, and shut a notebook's kernel down when its tab closes.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "kernelShutdown": True},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
# What a learner would see as broken, read from the open notebook's DOM.
PROBLEMS_JS = """(id) => {
  const panel = document.getElementById(id);
  const problems = [];
  for (const img of panel.querySelectorAll('.jp-Cell img')) {
    if (!img.complete || img.naturalWidth === 0) problems.push('broken picture: ' + decodeURI(new URL(img.src, location.href).pathname));
  }
  for (const box of panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
    problems.push('error box: ' + box.textContent.slice(0, 200));
  for (const err of panel.querySelectorAll('mjx-merror, .MathJax_Error')) problems.push('math error: ' + err.textContent);
  for (const dialog of document.querySelectorAll('.jp-Dialog')) problems.push('dialog: ' + dialog.textContent.slice(0, 200));
  return problems;
}"""
LOADED_JS = """(id) => Array.from(document.getElementById(id).querySelectorAll('.jp-Cell img'))
    .filter(img => img.naturalWidth > 0).length"""
READY_JS = r"""(id) => {
  const panel = document.getElementById(id);
  if (!panel || !panel.querySelector('.jp-Notebook .jp-Cell')) return false;
  // every markdown cell rendered, with content (rendering finishes after the cell is marked rendered)
  for (const cell of panel.querySelectorAll('.jp-MarkdownCell')) {
    const html = cell.querySelector('.jp-RenderedMarkdown');
    if (!cell.classList.contains('jp-mod-rendered') || !html || html.childElementCount === 0) return false;
  }
  // every picture's address resolved by JupyterLab (relative ones become /files/...) and loaded or failed
  return Array.from(panel.querySelectorAll('.jp-Cell img')).every(
    img => img.complete && /^(\/|https?:|data:|blob:)/.test(img.getAttribute('src') || '/'));
}"""


def generated_notebooks():
    return [path.relative_to(ROOT).as_posix() for a in ASSIGNMENTS
            for path in (COURSE.notebook("release", a), COURSE.notebook("selfstudy", a),
                         COURSE.path("selfstudy") / editions.SOLUTIONS / COURSE.notebook_name(a))]


BROKEN_FIXTURE = "render-fixture/broken.ipynb"


def broken_fixture(root: Path) -> None:
    """A notebook with two missing pictures and an error output: what the test must catch."""
    import nbformat
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell('![gone](missing.png)\n\n<img src="also-missing.svg" width="100">'),
                nbformat.v4.new_code_cell("1 / 0", outputs=[nbformat.v4.new_output(
                    "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["ZeroDivisionError: division by zero"])])]
    (root / "render-fixture").mkdir()
    nbformat.write(nb, str(root / BROKEN_FIXTURE))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of release/ and notebooks/ (and the broken fixture); its URL and token."""
    root = tmp_path_factory.mktemp("lab")
    for folder in ("release", "notebooks"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    broken_fixture(root)
    settings = tmp_path_factory.mktemp("lab-settings")
    for name, value in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))
    token, port = secrets.token_hex(16), free_port()
    command = [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('ws')}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(command, cwd=root, env=COURSE.env(), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (root / "lab.log").read_text()[-3000:]
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    """One browser page with JupyterLab loaded."""
    url, token = lab
    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(f"{url}/lab?token={token}")
        tab.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('docmanager:open')",
                              timeout=120_000)
        yield tab


def inspect(page, path: str) -> tuple[list[str], int]:
    """Open ``path`` in JupyterLab, wait until it is rendered, and list what looks broken (a
    screenshot is kept when anything does); also the number of pictures that loaded."""
    widget_id = page.evaluate("""async (path) => {
        const widget = await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
        await widget.context.ready;
        return widget.id;
    }""", path)
    try:
        page.wait_for_function(READY_JS, arg=widget_id, timeout=60_000)
        found = page.evaluate(PROBLEMS_JS, widget_id)
        loaded = page.evaluate(LOADED_JS, widget_id)
    except Exception as error:  # not rendered in time: that is a problem too
        found, loaded = [f"not rendered: {error}"], 0
    if found:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / (path.replace("/", "__") + ".png")
        page.screenshot(path=str(shot), full_page=True)
        found.append(f"screenshot: {shot}")
    for _ in range(3):  # a dialog left open would hide the next notebook
        if not page.query_selector(".jp-Dialog"):
            break
        page.keyboard.press("Escape")
    # Disposed, not closed: opening may mark a notebook as changed, and closing would ask to save it.
    page.evaluate("""(id) => { for (const w of Array.from(window.jupyterapp.shell.widgets('main')))
                                 if (w.id === id) w.dispose(); }""", widget_id)
    return found, loaded


def test_browser_test_catches_broken_pictures_and_error_boxes(page):
    found, loaded = inspect(page, BROKEN_FIXTURE)
    assert loaded == 0
    assert found[:3] == ["broken picture: /files/render-fixture/missing.png", "broken picture: /files/render-fixture/also-missing.svg",
                         "error box: ZeroDivisionError: division by zero"], found
    assert found[-1].startswith("screenshot: ") and Path(found[-1].split(": ", 1)[1]).is_file()


@pytest.mark.parametrize("path", generated_notebooks())
def test_generated_notebook_renders_in_jupyterlab(page, path):
    assert page.evaluate("(p) => window.jupyterapp.serviceManager.contents.get(p, {content: false}).then(() => true)", path)
    problems, loaded = inspect(page, path)
    assert problems == []
    assert loaded == (1 if "numpy_rnn" in path else 0), "a1 shows rnn_unrolled.svg; the others have no picture"


def test_validate_button_fails_a_blank_selfstudy_notebook(page):
    """What a learner sees on pressing nbgrader's Validate in a blank self-study notebook: every
    check failed (the 26 that carry points in the course and the 6 visible `check_` cells of 0), not
    "Success! Your notebook passes all the tests." (nbgrader's extension puts the button on every
    notebook; the checks' grade metadata make it work)."""
    path = "notebooks/numpy_rnn.ipynb"
    widget_id = page.evaluate("""async (path) => {
        const widget = await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
        await widget.context.ready;
        return widget.id;
    }""", path)
    page.locator(f"#{widget_id} .jp-Toolbar").get_by_text("Validate", exact=True).click()
    text = page.wait_for_selector(".jp-Dialog", timeout=300_000).text_content()
    failed = text.count("The following cell failed:")
    graded = sum(1 for cell in nbs.read(ROOT / path).cells if nbs.nbgrader_meta(cell).get("grade"))
    if failed != graded or "Success" in text:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "validate.png"))
    assert graded >= 32 and failed == graded and "Success" not in text, text[:2000]
    page.keyboard.press("Escape")
    page.evaluate("""(id) => { for (const w of Array.from(window.jupyterapp.shell.widgets('main')))
                                 if (w.id === id) w.dispose(); }""", widget_id)
