"""Open the course: create the environment if needed, then start JupyterLab on lesson 00.

Works the same on Windows (PowerShell or cmd), macOS and Linux, with nothing but Python 3.10
or newer installed; ``make lab`` runs it too.

    py tools\\lab.py                       Windows (or: python tools\\lab.py)
    python3 tools/lab.py                  macOS, Linux, WSL
    python3 tools/lab.py --port 8899 --no-browser     options after the script go to JupyterLab

The first run creates ``.venv`` beside this folder and installs the course into it (the course
package and what the lessons need: JupyterLab, ipywidgets, matplotlib); later runs only start
JupyterLab, unless ``pyproject.toml`` changed.  The script's own options:

    --dry-run          print what would be run, run nothing
    --setup-only       create or update the environment, do not start JupyterLab
    --with-test-tools  also install the test toolchain (pytest, ruff, ...: ``make test``)
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

ROOT = Path(__file__).resolve().parent.parent
FIRST_LESSON = ("notebooks", "00_start_here.ipynb")
OVERRIDES = ("binder", "overrides.json")  # JupyterLab settings: no news pop-up over a lesson


def venv_python(venv: PurePath, os_name: str) -> PurePath:
    """The environment's interpreter: ``Scripts\\python.exe`` on Windows, ``bin/python`` else."""
    if os_name == "nt":
        return PureWindowsPath(venv, "Scripts", "python.exe")
    return PurePosixPath(venv, "bin", "python")


def stamp_name(with_test_tools: bool) -> str:
    """The file in the environment that records what was installed, and for which inputs."""
    return ".ready-test" if with_test_tools else ".ready-runtime"


def fingerprint(root: Path) -> str:
    """What the environment was built from: the project file and the JupyterLab settings."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", Path(*OVERRIDES)):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def is_ready(venv: Path, python: PurePath, with_test_tools: bool, expected: str) -> bool:
    """True when *venv* was set up from the current inputs (and has its interpreter)."""
    stamp = venv / stamp_name(with_test_tools)
    return Path(python).exists() and stamp.exists() and stamp.read_text().strip() == expected


def setup_commands(python: PurePath, base: str, venv: PurePath, with_test_tools: bool) -> list:
    """The commands that create *venv* with interpreter *base* and install the course into it."""
    target = ".[test]" if with_test_tools else "."
    return [
        [base, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "--quiet", "-e", target],
    ]


def lab_command(python: PurePath, lab_args: list, as_root: bool) -> list:
    """The command (run in the project folder) that starts JupyterLab on lesson 00 with the
    learner's *lab_args*.

    JupyterLab refuses to run as root unless told; a container or WSL shell often is root.
    """
    first = str(python.__class__(*FIRST_LESSON))  # notebooks\00_... on Windows
    extra = ["--allow-root"] if as_root and "--allow-root" not in lab_args else []
    return [str(python), "-m", "jupyterlab", first, *lab_args, *extra]


def settings_file(venv: PurePath) -> PurePath:
    """Where JupyterLab reads its overrides in *venv* (the same on every system)."""
    return venv.joinpath("share", "jupyter", "lab", "settings", "overrides.json")


def parse(argv: list) -> tuple:
    """The script's own options, and everything else (for JupyterLab)."""
    parser = argparse.ArgumentParser(
        prog="lab.py", description=__doc__.splitlines()[0], allow_abbrev=False, add_help=False
    )
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--setup-only", action="store_true")
    parser.add_argument("--with-test-tools", action="store_true")
    parser.add_argument("--lab-help", action="help", help="this help")
    return parser.parse_known_args(argv)


def main(argv: list) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 (runs on whatever Python the learner has)
        print(f"The course needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
        return 1
    options, lab_args = parse(argv)
    if lab_args[:1] == ["--"]:
        lab_args = lab_args[1:]
    pure = PureWindowsPath if os.name == "nt" else PurePosixPath
    root = pure(ROOT)
    venv = root / ".venv"
    python = venv_python(venv, os.name)
    expected = fingerprint(ROOT)
    as_root = os.name != "nt" and os.geteuid() == 0
    steps = []
    if not is_ready(Path(venv), python, options.with_test_tools, expected):
        steps = setup_commands(python, sys.executable, venv, options.with_test_tools)
    launch = None if options.setup_only else lab_command(python, lab_args, as_root)

    if options.dry_run:
        for command in steps:
            print("would run:", subprocess.list2cmdline(command))
        if steps:
            print("would copy:", root.joinpath(*OVERRIDES), "->", settings_file(venv))
        else:
            print(f"ready: {venv} is up to date")
        if launch:
            print("would run:", subprocess.list2cmdline(launch))
        return 0

    for command in steps:
        print("running:", subprocess.list2cmdline(command), flush=True)
        subprocess.run(command, cwd=ROOT, check=True)
    settings = Path(settings_file(venv))
    settings.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT.joinpath(*OVERRIDES), settings)
    Path(venv, stamp_name(options.with_test_tools)).write_text(expected + "\n")
    if options.with_test_tools:  # the toolchain's install includes the runtime's
        Path(venv, stamp_name(False)).write_text(expected + "\n")
    if launch is None:
        return 0
    print("starting JupyterLab (stop it with Ctrl+C, twice)", flush=True)
    lab = subprocess.Popen(launch, cwd=ROOT)
    while True:
        try:
            return lab.wait()
        except KeyboardInterrupt:  # JupyterLab got it too and asks for confirmation
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
