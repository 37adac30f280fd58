"""A real browser for the tests (the classroom's, the rendering test): Playwright for Python driving Debian's ``chromium``.

Playwright's own browser download cannot work here (no network to its CDN), so the system's
chromium is launched by path. Each person gets a browser context of their own (their own
cookies), and does what a person does: log in at the hub, use JupyterLab's menus, the
Assignments panel, the formgrader, a notebook's editor and its Validate button.

When a step fails, :func:`step` keeps a screenshot of every page open at that moment in
``.test-artifacts/classroom/`` (and says so in the failure).
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from support import ROOT

ARTIFACTS = ROOT / ".test-artifacts" / "classroom"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
SLOW = 240_000  # ms: a first server start, or a1 validated, on a busy 2-core machine


def chromium_path() -> str:
    for candidate in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    assert found, "Debian's chromium is missing: `make sysdeps` (tools/system-packages) installs it"
    return found


@contextmanager
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


_people: list["Person"] = []


@contextmanager
def step(name: str):
    """A step of a test; on failure, screenshots of every open page are kept (their paths in the error)."""
    try:
        yield
    except BaseException as error:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        kept = []
        for person in _people:
            for i, page in enumerate(person.context.pages):
                path = ARTIFACTS / f"{name}-{person.name}-{i}.png".replace(" ", "_")
                try:
                    page.screenshot(path=str(path), full_page=True, timeout=10_000)
                    kept.append(str(path))
                except Exception:  # the page may be gone with the failure
                    pass
        error.add_note(f"step {name!r} failed; screenshots: {', '.join(kept) or 'none could be taken'}")
        raise


class Person:
    """Someone at the hub, in a browser context of their own."""

    def __init__(self, browser, url: str, name: str, password: str):
        self.url, self.name, self.password = url, name, password
        self.context = browser.new_context(viewport={"width": 1400, "height": 950})
        self.context.set_default_timeout(60_000)
        self.page: Page = self.context.new_page()
        _people.append(self)

    def close(self) -> None:
        self.context.close()
        if self in _people:
            _people.remove(self)

    # --- the hub and JupyterLab ----------------------------------------------------------------
    def login(self) -> float:
        """Log in at the hub's login page; the seconds until JupyterLab is on screen."""
        start = time.perf_counter()
        self.page.goto(f"{self.url}/hub/login")
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", self.password)
        self.page.click("#login_submit")
        self.page.wait_for_selector(".jp-LabShell", timeout=SLOW)
        self.page.wait_for_selector(".jp-DirListing-content", timeout=SLOW)
        return time.perf_counter() - start

    def menu(self, top: str, item: str) -> None:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=top).click()
        self.page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()

    def menu_items(self, top: str) -> list[str]:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=top).click()
        items = [t for t in self.page.locator(".lm-Menu-itemLabel").all_inner_texts() if t.strip()]
        self.page.keyboard.press("Escape")
        return items

    # --- the formgrader (instructor) -----------------------------------------------------------------
    def formgrader(self):
        self.menu("Nbgrader", "Formgrader")
        frame = self.page.frame_locator("iframe[src*='formgrader']")
        frame.locator("#main_table, table").first.wait_for(timeout=SLOW)
        return frame

    # --- the Assignments panel (students) ---------------------------------------------------------------
    def assignments(self) -> None:
        self.menu("Nbgrader", "Assignment List")
        self.page.wait_for_selector("#released_assignments_list", timeout=SLOW)
        self.refresh()

    def refresh(self) -> None:
        self.page.locator("#refresh_assignments_list").click()
        for name in ("released", "fetched", "submitted"):
            expect(self.page.locator(f"#{name}_assignments_list_loading")).to_be_hidden(timeout=SLOW)

    def row(self, listing: str, assignment: str):
        return self.page.locator(f"#{listing}_assignments_list > .list_item", has_text=assignment)

    def fetch(self, assignment: str) -> None:
        self.row("released", assignment).locator("button", has_text="Fetch").click()
        expect(self.row("fetched", assignment)).to_be_visible(timeout=SLOW)

    def submit(self, assignment: str, count: int) -> None:
        """Press Submit; wait until the panel lists ``count`` submissions of the assignment."""
        self.row("fetched", assignment).locator("button", has_text="Submit").first.click()
        submissions = self.row("submitted", assignment).locator(".nested_list_item")
        expect(submissions).to_have_count(count, timeout=SLOW)

    def fetch_feedback(self, assignment: str) -> None:
        self.row("submitted", assignment).locator("button", has_text="Fetch Feedback").click()
        expect(self.row("submitted", assignment).get_by_text("(view feedback)").first).to_be_visible(timeout=SLOW)

    def open_feedback(self, assignment: str, notebook: str) -> str:
        """Follow "(view feedback)" to the file browser and open the feedback page; its text."""
        self.row("submitted", assignment).get_by_text("(view feedback)").last.click()
        item = self.page.locator(".jp-DirListing-item", has_text=f"{notebook}.html")
        item.wait_for(timeout=SLOW)
        item.dblclick()
        frame = self.page.frame_locator(".jp-HTMLViewer iframe").last
        heading = frame.locator("h4", has_text="Score:").first
        heading.wait_for(timeout=SLOW)
        return frame.locator("body").inner_text()

    # --- a notebook -------------------------------------------------------------------------------------
    def open_notebook(self, path: str) -> None:
        self.page.goto(f"{self.url}/user/{self.name}/lab/tree/{path}")
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=SLOW)
        expect(self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first
               ).to_be_attached(timeout=SLOW)

    def type_into_cell(self, marker: str, code: str) -> None:
        """Replace the code of the cell showing ``marker`` by typing ``code`` into its editor, key by key.

        Lines are typed without their indentation: the editor indents after a ``:`` and keeps the
        indentation on Enter, as for a person typing (so ``code`` must not dedent)."""
        editor = self.page.locator(".jp-Cell", has_text=marker).locator(".cm-content").first
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Delete")
        lines = code.rstrip("\n").split("\n")
        for i, line in enumerate(lines):
            self.page.keyboard.type(line.strip())
            if i < len(lines) - 1:
                self.page.keyboard.press("Enter")

    def save(self) -> None:
        """Save the notebook (Ctrl+S) and wait until JupyterLab shows it saved. (Reading the file
        through the contents API while it is being saved races with the server's atomic write.)"""
        self.page.keyboard.press("Control+s")
        expect(self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
               ).to_have_count(0, timeout=SLOW)

    def validate(self) -> str:
        """Press the notebook's Validate button; the text of nbgrader's result dialog."""
        self.page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
        dialog = self.page.locator(".jp-Dialog", has_text="Validat")
        dialog.locator(".jp-Dialog-body").wait_for(timeout=SLOW)
        expect(dialog.locator(".jp-Dialog-body")).not_to_contain_text("Validating", timeout=SLOW)
        text = dialog.locator(".jp-Dialog-body").inner_text()
        dialog.locator("button").last.click()
        return text

    def run_first_cell(self, marker: str) -> str:
        """Run the cell showing ``marker`` (Shift+Enter) in the notebook's kernel; its output's text.

        Right after a notebook opens, JupyterLab may move on without running the cell while its new
        kernel is still connecting; the cell then keeps no output and is run again (up to 4 times)."""
        cell = self.page.locator(".jp-Cell", has_text=marker).first
        output = cell.locator(".jp-OutputArea-output")
        for attempt in range(4):
            cell.locator(".cm-content").click()
            self.page.keyboard.press("Shift+Enter")
            try:
                expect(output.first).to_contain_text("PROBE-DONE", timeout=SLOW // 4)
                break
            except AssertionError:
                if attempt == 3:
                    raise
        return output.first.inner_text()


class Contents:
    """A person's files through their server's contents API (the hub's service token)."""

    def __init__(self, url: str, user: str, token: str):
        self.base = f"{url}/user/{user}/api/contents"
        self.headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(f"{self.base}/{path}", method=method, headers=self.headers,
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"{}")

    def status(self, url_path: str) -> int:
        """The HTTP status of a page of the person's server (``formgrader``, ``api/...``)."""
        server = self.base.rsplit("/api/contents", 1)[0]
        request = urllib.request.Request(f"{server}/{url_path}", headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def notebook(self, path: str) -> dict:
        return self._call("GET", path)["content"]

    def put_notebook(self, path: str, content: dict) -> None:
        self._call("PUT", path, {"type": "notebook", "format": "json", "content": content})
