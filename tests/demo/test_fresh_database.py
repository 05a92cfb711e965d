"""`gonghui demo` on a database that was never migrated (a fresh clone that skipped `make run`)
migrates it first and loads the demo, instead of ending in a traceback about a missing table."""

import os
import subprocess
import sys


def test_the_demo_on_a_database_never_migrated_migrates_it_first(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    environ.update(DEBUG="1", GONGHUI_DATA_DIR=str(tmp_path))  # a new SQLite file, no table in it
    result = subprocess.run([sys.executable, "-m", "gonghui.manage", "demo", "--scale", "0.001"], env=environ,
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "running `gonghui migrate` first" in result.stdout
    assert "Loaded the demo at scale" in result.stdout
    assert "Demo logins" in result.stdout
