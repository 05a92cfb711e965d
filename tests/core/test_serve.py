"""The production start: with DEBUG off, `gonghui serve` collects the static files and serves the
site through gunicorn behind the proxy, so `/` answers 200 (not the 500 of a missing static
manifest) and the files it names are served too."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.core.test_settings import PRODUCTION

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_gonghui_serve_serves_the_site_with_debug_off(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    environ.update(PRODUCTION, GONGHUI_DATA_DIR=str(tmp_path), ALLOWED_HOSTS="127.0.0.1", BEHIND_PROXY="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")]))
    manage = [sys.executable, "-m", "gonghui.manage"]
    migrated = subprocess.run([*manage, "migrate", "--noinput"], env=environ, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    server = subprocess.Popen([*manage, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env=environ,
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        status, page = None, ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/")
                break
            except (ConnectionError, urllib.error.URLError, TimeoutError):
                time.sleep(0.5)
        assert status == 200, (status, page[:500], server.poll())
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        assert assets, page[:1000]
        assert all(_get(f"http://127.0.0.1:{port}{asset}")[0] == 200 for asset in assets[:5])
        assert any(re.search(r"\.[0-9a-f]{12}\.", asset) for asset in assets)  # named through the manifest
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert "Collected the static files." in output, output
    assert "Traceback" not in output, output
