"""A real Jupyter server (JupyterLab 4, Notebook 7) and headless Chromium, as a student uses them.

The server is the venv's own `jupyter lab`, started the way a student starts it: from the
folder of released assignments, on loopback, with a token. HOME and Jupyter's user config,
data and runtime folders point into a scratch folder, so the developer's settings, workspaces
and disabled extensions cannot change what the test sees, while the extensions installed in
the venv (share/jupyter/labextensions, etc/jupyter) are found as usual.

The browser is Debian's chromium driven by Playwright (see book_browser.py); every request
that is not to the server is aborted and recorded, so a page that needs the network fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from book_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (re-exported for the tests)

VENV_BIN = Path(sys.executable).parent
# Frontend readiness, the same in JupyterLab and Notebook 7: the toolbar names the kernel
# (it says "No Kernel" until a session exists, while the execution indicator already says
# idle) and the execution indicator reports the kernel idle.
KERNEL_IDLE = """() => {
    const toolbar = document.querySelector('.jp-NotebookPanel-toolbar');
    const name = toolbar && toolbar.querySelector('.jp-Toolbar-kernelName');
    const state = toolbar && toolbar.querySelector('.jp-Notebook-ExecutionIndicator');
    const text = name ? name.innerText.trim() : '';
    return text !== '' && text !== 'No Kernel' && state && state.dataset.status === 'idle';
}"""
# Upstream problems that neither break the page nor fetch anything; each entry says where.
KNOWN_ERRORS = (
    # Notebook 7.6's shortcuts plugin reads the schema of a settings plugin it never loaded;
    # it happens with an empty notebook and with every optional extension disabled.
    "Cannot read properties of undefined (reading 'schema')",
    # Notebook 7.6 restores the file browser from the workspace JupyterLab saved on the same
    # server, and its notebook page has no file browser to open the path in.
    "Command 'filebrowser:open-path' not registered",
)
# jupyter_server's FileFindHandler caches "file name -> path" for all static folders at once.
# JupyterLab and Notebook 7 ship the same content-hashed font files, so once one of them has
# loaded a font, the other asking for it under its own /static/ folder gets 403 "not in root
# static directory" (a font missing on that page, nothing else).
KNOWN_FAILED = re.compile(r"^403 .*/static/(lab|notebook)/[0-9a-f]+\.woff2?$")


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    token: str
    root: Path
    log: Path
    env: dict[str, str]  # a student's environment: the same isolated HOME and Jupyter folders

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        # generous: deleting a session waits for its kernel to shut down, on a busy machine
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every session, as a student closing the notebook and its kernel does."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


def student_env(scratch: Path, bin_dir: Path = VENV_BIN) -> dict[str, str]:
    """Environment of a student with a fresh account: nothing of the developer's Jupyter;
    `bin_dir` is the student's venv (the project's own by default)."""
    home = scratch / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "JPY_", "IPYTHON", "MPL", "PYTHON"))}
    env.update(
        HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
        # the venv's jupyter, kernel and nbgrader come first, as in an activated venv
        PATH=os.pathsep.join([str(bin_dir), env.get("PATH", "/usr/bin:/bin")]),
    )
    # The student has answered JupyterLab's "get official Jupyter news?" toast with "No"
    # (it would otherwise cover the corner of every screenshot).
    settings = home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    return env


@contextlib.contextmanager
def jupyter_server(root: Path, scratch: Path, timeout: float = 120, bin_dir: Path = VENV_BIN):
    """`jupyter lab` of the venv `bin_dir` serving `root` on a free loopback port; stopped and
    checked on exit."""
    env = student_env(scratch, bin_dir)
    log = scratch / "jupyter.log"
    process, url, token = None, "", secrets.token_hex(16)
    for _attempt in range(3):  # another process may take the free port before the server does
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = [str(bin_dir / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
                   f"--port={port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with log.open("a") as out:
            # cwd: nbgrader's formgrader takes its course folder from the working directory
            # and logs an error when that is outside the server's root
            process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        if _wait_until_up(process, url, token, timeout):
            break
        _stop(process)
    else:
        raise RuntimeError(f"jupyter lab did not start:\n{log.read_text()[-4000:]}")
    server = Server(url, token, root, log, env)
    try:
        yield server
    finally:
        try:
            server.shut_down_kernels()
        finally:
            _stop(process)
            leftovers = _processes_mentioning(env["JUPYTER_RUNTIME_DIR"])
            for pid in leftovers:  # kernels run in sessions of their own
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            assert not leftovers, f"kernels left running after the server stopped: {leftovers}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(process, url: str, token: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            request = urllib.request.Request(f"{url}/api/status",
                                             headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.25)  # polling interval while the server boots, not a synchronisation
    return False


def _stop(process) -> None:
    """SIGTERM the server's process group (it shuts its kernels down), SIGKILL if it hangs."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (kernels name their connection file)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@dataclass
class PageLog:
    offsite: list[str] = field(default_factory=list)  # requests aborted: not to the server
    failed: list[str] = field(default_factory=list)  # server answers >= 400
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions

    def problems(self) -> dict[str, list[str]]:
        """What is left once the known upstream problems are set aside."""
        return {
            "offsite": self.offsite,
            "failed": [f for f in self.failed if not KNOWN_FAILED.match(f)],
            "errors": [e for e in self.errors if not any(k in e for k in KNOWN_ERRORS)],
        }


def open_page(context, server: Server, path: str):
    """Open `path` (e.g. lab/tree/x.ipynb) logged in with the token; return (page, log)."""
    page, log = context.new_page(), PageLog()

    def route(route):
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            log.offsite.append(route.request.url)
            route.abort()

    def console(message):
        # "Failed to load resource" repeats a failed response, which `failed` already holds
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            log.errors.append(f"console: {message.text}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: log.errors.append(f"exception: {error}"))
    page.on("response", lambda r: r.status >= 400 and log.failed.append(f"{r.status} {r.url}"))
    page.goto(f"{server.url}/{path}?token={server.token}")
    return page, log


def wait_kernel_idle(page, timeout: float = 180) -> None:
    page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)


def run_all_cells(page) -> None:
    """Run > Run All Cells from the menu bar (the same menu in JupyterLab and Notebook 7)."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def cell(page, index: int):
    """The notebook's cell number `index` (0-based, as in the .ipynb file)."""
    return page.locator(f'.jp-Notebook .jp-Cell[data-windowed-list-index="{index}"]')


def show(locator) -> None:
    """Scroll `locator` to the middle of the notebook, so a screenshot shows it whole."""
    locator.evaluate("e => e.scrollIntoView({block: 'center'})")


def paste_into_cell(page, index: int, text: str) -> None:
    """Replace a cell's source the way a student does: click, select all, paste."""
    editor = cell(page, index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.keyboard.press("Control+v")


def failed_cells(validate_output: str) -> dict[str, str]:
    """First source line (maybe cut short) -> report, for each cell nbgrader's validation lists."""
    reports = {}
    for block in validate_output.split("The following cell failed:")[1:]:
        first = next(line.strip() for line in block.splitlines() if line.strip())
        reports[first.removesuffix("...")] = block
    return reports
