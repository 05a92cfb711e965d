"""What a newcomer meets with `make run`: the banner names the logins that README.md names (and that
the demo creates), and stopping the server with Ctrl+C is not reported by make as an error.

The Ctrl+C test runs the real `run` recipe in a pseudo-terminal with ``BIN`` pointing at a stand-in
`gonghui` (the server and the worker sleep) and the setup targets left alone (``-o``: nothing is
installed), then types Ctrl+C as a terminal does: SIGINT to the whole foreground process group.
"""

import os
import re
import select
import shutil
import time
from pathlib import Path

import pytest

from gonghui.demo.services import CADRES
from gonghui.disputes.demo import STAFF

ROOT = Path(__file__).resolve().parents[2]


def _readme_logins() -> set[str]:
    section = ROOT.joinpath("README.md").read_text().split("### Demo logins", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {login for row in rows for login in re.findall(r"`([a-z_]+)`", row.split("|")[1])}


def _banner_logins() -> set[str]:
    recipe = ROOT.joinpath("Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    echoed = " ".join(re.findall(r'@echo "([^"]*)"', recipe))
    banner = echoed.split("Demo logins", 1)[1].split("Background tasks", 1)[0]
    banner = re.sub(r"\([^)]*\)", "", banner.split(":", 1)[1])
    return {word.strip() for word in banner.split(",") if word.strip()}


def test_the_banner_lists_the_logins_of_the_readme():
    assert _banner_logins() == _readme_logins()


def test_every_login_the_demo_creates_is_in_the_readme():
    assert {"admin", "worker", *CADRES, *STAFF} <= _readme_logins()


FAKE_GONGHUI = """#!/usr/bin/env bash
case "$1" in
  runserver) echo "stand-in server ready"; exec sleep 60 ;;
  db_worker) exec sleep 60 ;;
  *) exit 0 ;;
esac
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_ctrl_c_stops_make_run_without_an_error(tmp_path):
    import pty

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gonghui").write_text(FAKE_GONGHUI)
    (fake / "gonghui").chmod(0o755)
    argv = ["make", "--no-print-directory", "-C", str(ROOT), "-o", "setup", "-o", ".venv/.installed",
            "-o", "node_modules/.installed", "run", f"BIN={fake}"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session of its own with the pty as its terminal, as in a shell
        os.execvp(argv[0], argv)
    output = b""
    deadline = time.monotonic() + 30
    try:
        while b"stand-in server ready" not in output and time.monotonic() < deadline:
            if select.select([fd], [], [], 1)[0]:
                output += os.read(fd, 4096)
        assert b"stand-in server ready" in output, output.decode(errors="replace")
        time.sleep(0.3)
        os.write(fd, b"\x03")  # Ctrl+C
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other end is closed: make has exited
                break
            if not chunk:
                break
            output += chunk
    finally:
        _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert "make: ***" not in text, text
    assert "Error" not in text, text
    assert os.waitstatus_to_exitcode(status) in (0, -2), text  # make ends as Ctrl+C ends any program
