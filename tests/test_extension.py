"""The IPython extension: nothing happens on import; ``%load_ext wdfkit`` gives blue screens."""

import subprocess
import sys

import pytest


def test_import_wdfkit_loads_no_ipython_matplotlib_or_ipywidgets():
    code = (
        "import sys, wdfkit; "
        "print(sorted(m for m in ('IPython', 'matplotlib', 'ipywidgets') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.fixture
def shell():
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    yield ip
    ip.run_line_magic("unload_ext", "wdfkit")


def run_failing_cell(shell, capsys) -> str:
    shell.run_cell(
        "from wdfkit import Machine, WdfMemoryGetBuffer\n"
        "with Machine():\n"
        "    WdfMemoryGetBuffer(None)\n"
    )
    return capsys.readouterr().out


def test_load_ext_shows_a_bug_check_as_its_blue_screen(shell, capsys):
    shell.run_line_magic("load_ext", "wdfkit")
    out = run_failing_cell(shell, capsys)
    assert "*** STOP: 0x0000010D WDF_VIOLATION" in out
    assert "while calling WdfMemoryGetBuffer" in out
    assert "Traceback" not in out and "wdfkit/" not in out  # no simulator frames


def test_without_the_extension_ipython_shows_an_ordinary_traceback(shell, capsys):
    shell.run_line_magic("load_ext", "wdfkit")
    shell.run_line_magic("unload_ext", "wdfkit")
    out = run_failing_cell(shell, capsys)
    assert "*** STOP" not in out
    assert "BugCheck: 0x10D WDF_VIOLATION (0x5, 0x0, 0x100A" in out
    shell.run_line_magic("load_ext", "wdfkit")  # the fixture unloads it again
