"""Every lab cell works when it is the first cell a learner runs.

A committed lab cell shows only "run this cell (Shift+Enter) to open it", so a learner who
scrolls to it and does so must get the lab, not a NameError for something a cell above defines.
Each lab cell (a cell tagged ``nbval-ignore-output``: the widget cells, whose output nbval cannot
compare) is run alone in a fresh kernel and must display a widget and raise nothing.  A check-
yourself problem's reveal buttons (tagged ``reveal`` as well) belong to the problem drawn just
above them, so they are not run alone.
"""

import json
from pathlib import Path

import nbformat
import pytest
from execute_notebooks import (
    KERNELSPEC,
    REVEAL_PLACEHOLDER,
    WIDGET_PLACEHOLDER,
    WIDGET_VIEW,
    notebook_client,
    placeholder,
)

FOLDER = Path(__file__).parent.parent.joinpath("notebooks")
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb")) + sorted(FOLDER.glob("zh-CN/*.ipynb"))
"""Both editions: a Chinese lesson's lab runs after its language cell (its first code cell)."""


def language_cell(path: Path) -> str:
    """The source of the cell that chooses a Chinese lesson's language."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c["source"] for c in cells if c["id"] == "zh-language"))


def lab_cells(path: Path) -> list:
    """(index, source) of each lab cell in the notebook at *path*."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (index, "".join(cell["source"]))
        for index, cell in enumerate(cells)
        if "nbval-ignore-output" in cell["metadata"].get("tags", [])
        and "reveal" not in cell["metadata"].get("tags", [])
    ]


def reveal_cells(path: Path) -> list:
    """(index, cell) of each check-yourself reveal cell in the notebook at *path*."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (index, cell)
        for index, cell in enumerate(cells)
        if "reveal" in cell["metadata"].get("tags", [])
    ]


def test_every_lesson_has_a_lab_and_only_labs_skip_nbval():
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        labs = lab_cells(path)
        assert labs, f"{path.name} has no lab cell"
        for index, _source in labs:
            stored = [
                "".join(o.get("data", {}).get("text/plain", "")) for o in cells[index]["outputs"]
            ]
            expected = [placeholder(path, WIDGET_PLACEHOLDER)]
            assert stored == expected, f"{path.name} cell {index} is not a lab"
        for index, cell in reveal_cells(path):
            assert "nbval-ignore-output" in cell["metadata"]["tags"], f"{path.name} cell {index}"
            assert "".join(cell["source"]).startswith("reveal("), f"{path.name} cell {index}"
            stored = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]]
            expected = [placeholder(path, REVEAL_PLACEHOLDER)]
            assert stored == expected, f"{path.name} cell {index} stored {stored}"


def test_every_lesson_with_problems_reveals_each_of_them():
    """Lessons 00-12 draw at least three problems, and each has its reveal buttons."""
    for path in NOTEBOOKS:
        if int(path.name[:2]) > 12:
            continue
        source = json.loads(path.read_text(encoding="utf-8"))["cells"]
        drawn = sum("exercises.make_problem(" in "".join(c["source"]) for c in source)
        assert drawn >= 3, f"{path.name} draws {drawn} problems"
        assert len(reveal_cells(path)) == drawn, f"{path.name}: a problem has no reveal cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: "/".join(p.parts[-2:]))
def test_each_lab_cell_runs_first_in_a_fresh_kernel(path):
    for index, source in lab_cells(path):
        alone = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
        if "zh-CN" in path.parts:
            alone.cells.append(nbformat.v4.new_code_cell(language_cell(path)))
        alone.cells.append(nbformat.v4.new_code_cell(source))
        notebook_client(alone, path.parent, timeout=120, allow_errors=True).execute()
        outputs = alone.cells[-1].outputs
        errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
        assert not errors, f"{path.name} cell {index} run first: {errors}"
        shown = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
        assert shown, f"{path.name} cell {index} run first showed no widget: {outputs}"
