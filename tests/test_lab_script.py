"""tools/lab.py, the set-up route on every system (``make lab`` and Windows' ``py tools\\lab.py``).

What can be checked on one machine: the paths it builds for Windows and for the others, what it
installs for the learner and for the tests, that JupyterLab options pass through untouched, and
its dry run (which must run nothing).
"""

import importlib.util
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "lab.py"
spec = importlib.util.spec_from_file_location("lab_script", SCRIPT)
lab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab)

TEST_TOOLS = ("pytest", "hypothesis", "ruff", "playwright", "import-linter", "nbval", "babel")


def test_the_environments_python_on_windows_and_elsewhere():
    venv = PureWindowsPath(r"C:\Users\ada\wdfkit\.venv")
    assert str(lab.venv_python(venv, "nt")) == r"C:\Users\ada\wdfkit\.venv\Scripts\python.exe"
    venv = PurePosixPath("/home/ada/wdfkit/.venv")
    assert str(lab.venv_python(venv, "posix")) == "/home/ada/wdfkit/.venv/bin/python"


def test_jupyterlab_opens_lesson_00_with_the_learners_options():
    python = PureWindowsPath(r"C:\w\.venv\Scripts\python.exe")
    command = lab.lab_command(python, ["--port", "8899", "--no-browser"], as_root=False)
    assert command == [
        str(python),
        "-m",
        "jupyterlab",
        r"notebooks\00_start_here.ipynb",
        "--port",
        "8899",
        "--no-browser",
    ]
    python = PurePosixPath("/w/.venv/bin/python")
    assert lab.lab_command(python, [], as_root=True)[3:] == [
        "notebooks/00_start_here.ipynb",
        "--allow-root",
    ]
    assert lab.lab_command(python, ["--allow-root"], as_root=True).count("--allow-root") == 1


def test_the_learner_gets_the_runtime_and_make_test_the_test_tools():
    python = PurePosixPath("/w/.venv/bin/python")
    venv = PurePosixPath("/w/.venv")
    runtime = lab.setup_commands(python, "/usr/bin/python3", venv, with_test_tools=False)
    tools = lab.setup_commands(python, "/usr/bin/python3", venv, with_test_tools=True)
    assert runtime[0] == ["/usr/bin/python3", "-m", "venv", "/w/.venv"]
    assert runtime[-1][-2:] == ["-e", "."]
    assert tools[-1][-2:] == ["-e", ".[test]"]
    assert lab.stamp_name(False) != lab.stamp_name(True)


def test_the_runtime_dependencies_hold_no_test_tool():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    extra = " ".join(project["optional-dependencies"]["test"])
    for tool in TEST_TOOLS:
        assert tool not in runtime
        assert tool in extra


def test_own_options_are_taken_and_the_rest_goes_to_jupyterlab():
    options, rest = lab.parse(["--dry-run", "--port", "8899", "--no-browser", "--ip=0.0.0.0"])
    assert options.dry_run and not options.setup_only and not options.with_test_tools
    assert rest == ["--port", "8899", "--no-browser", "--ip=0.0.0.0"]
    options, rest = lab.parse(["--setup-only", "--with-test-tools"])
    assert options.setup_only and options.with_test_tools and rest == []


def test_ready_only_for_the_inputs_it_was_built_from(tmp_path):
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text("")
    assert not lab.is_ready(tmp_path, python, False, "abc")
    (tmp_path / lab.stamp_name(False)).write_text("abc\n")
    assert lab.is_ready(tmp_path, python, False, "abc")
    assert not lab.is_ready(tmp_path, python, False, "changed pyproject.toml")
    assert not lab.is_ready(tmp_path, python, True, "abc")


def test_the_dry_run_prints_the_plan_and_runs_nothing():
    venv_before = (ROOT / ".venv").exists()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--port", "8899", "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("would run: ")
    assert last.split()[3:8] == [
        "-m",
        "jupyterlab",
        "notebooks/00_start_here.ipynb",
        "--port",
        "8899",
    ]
    assert (ROOT / ".venv").exists() == venv_before
