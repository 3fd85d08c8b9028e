"""The browser side of the console tests: ConsoleBrowser drives headless Chromium through
tests/browser/console_driver.mjs (puppeteer-core), one JSON command per line. A missing browser,
Node.js or puppeteer-core fails the test, never skips it."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BROWSER_DIR = REPO_ROOT / "tests" / "browser"
DRIVER = BROWSER_DIR / "console_driver.mjs"
COMMAND_TIMEOUT = 60.0


def screenshot_dir() -> Path:
    """BUILD_DIR/console-screenshots: beside the server binary under test."""
    binary = Path(os.environ.get("MALLARD_BIN") or REPO_ROOT / "build" / "mallard")
    return binary.resolve().parent / "console-screenshots"


def find_chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium is not installed (Debian: apt-get install chromium; scripts/install-deps.sh does it); "
                "the console's browser tests need it", pytrace=False)


def require_driver() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is not installed; the console's browser tests need it", pytrace=False)
    if not (BROWSER_DIR / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail("puppeteer-core is not installed: run scripts/install-deps.sh "
                    "(or npm ci --prefix tests/browser)", pytrace=False)


class ConsoleBrowser:
    def __init__(self, port: int, downloads: Path, log: Path):
        require_driver()
        chromium = find_chromium()
        self.downloads = downloads
        self.screenshots = screenshot_dir()
        self.screenshots.mkdir(parents=True, exist_ok=True)
        for old in self.screenshots.glob("failure-*.png"):  # a previous run's, not this one's
            old.unlink()
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            ["node", str(DRIVER), "--url", f"http://127.0.0.1:{port}/_mallard/console/",
             "--screenshots", str(self.screenshots), "--downloads", str(downloads), "--chromium", chromium],
            cwd=BROWSER_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1)

    def call(self, command: str, *, answer_within: float = COMMAND_TIMEOUT, **args):
        assert self.proc.poll() is None, f"the browser driver exited ({self.proc.returncode}); see {self._log.name}"
        self.proc.stdin.write(json.dumps({"command": command, **args}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], answer_within)
        if not ready:
            pytest.fail(f"browser command {command} {args} did not answer in {answer_within:.0f}s", pytrace=False)
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail(f"the browser driver exited during {command}; see {self._log.name}", pytrace=False)
        reply = json.loads(line)
        if not reply["ok"]:
            pytest.fail(f"browser command {command} {args} failed: {reply['error']}\n"
                        f"screenshot: {reply.get('screenshot')}\npage errors: {reply.get('pageErrors')}\n"
                        f"page text:\n{reply.get('main')}", pytrace=False)
        return reply.get("result")  # undefined in the page: no "result" member

    # What a person does, by data-testid ("css:..." for a CSS selector).
    def goto(self, hash_path: str = ""):
        return self.call("goto", hash=hash_path)

    def click(self, target: str, text: str | None = None, timeout: int | None = None):
        args = {"target": target}
        if text is not None:
            args["text"] = text
        if timeout is not None:
            args["timeout"] = timeout
        return self.call("click", **args)

    def fill(self, target: str, value: str):
        return self.call("fill", target=target, value=value)

    def select(self, target: str, value: str):
        return self.call("select", target=target, value=value)

    def wait_text(self, target: str, text: str, timeout: int = 15000):
        return self.call("waitText", target=target, text=text, timeout=timeout,
                         answer_within=max(COMMAND_TIMEOUT, timeout / 1000 + 10))

    def wait_gone(self, target: str, timeout: int = 15000):
        return self.call("waitGone", target=target, timeout=timeout)

    def text(self, target: str) -> str:
        return self.call("text", target=target)

    def upload(self, target: str, file: Path):
        return self.call("upload", target=target, file=str(file))

    def screenshot(self, name: str) -> Path:
        path = Path(self.call("screenshot", name=name))
        assert path.is_file() and path.stat().st_size > 1000, path
        return path

    def evaluate(self, expression: str, answer_within: float = COMMAND_TIMEOUT):
        return self.call("evaluate", expression=expression, answer_within=answer_within)

    def page_errors(self) -> list[str]:
        return self.call("errors")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"command": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log.close()
