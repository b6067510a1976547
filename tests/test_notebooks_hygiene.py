"""Committed notebooks: no widget state, python3 kernel, no ';' plot cells, no Python addresses."""

import json
import re
from pathlib import Path

import pytest

from wdfkit.kernel.text import width

FOLDER = Path(__file__).parent.parent.joinpath("notebooks")
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb")) + sorted(FOLDER.glob("zh-CN/*.ipynb"))
"""Both editions, English and Chinese (notebooks/zh-CN/)."""
PARTS = {
    "en": ("Goal", "The idea", "Try it", "Look at it", "Break it", "Check yourself", "Summary"),
    "zh-CN": ("目标", "核心概念", "动手试试", "仔细看看", "把它弄坏", "自测", "小结"),
}
GIVEAWAYS = re.compile(r"Correct:|Answer:|The simulator:|\.answer\(\)|正确：|(?<!的)答案：")
"""What only a checked answer or a revealed solution prints, in either language."""


def edition(path: Path) -> str:
    return "zh-CN" if "zh-CN" in path.parts else "en"


ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{6,}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: "/".join(p.parts[-2:]))
def test_notebook_hygiene(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert "widgets" not in nb["metadata"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tags = cell["metadata"].get("tags", [])
        assert cell["execution_count"] is not None, source[:60]
        assert not source.rstrip().endswith(";"), source[:60]
        if "plt" in source and "plots." in source:
            assert source.rstrip().endswith("plt.show()"), source[:60]
        for output in cell["outputs"]:
            text = "".join(output.get("text", "")) + "".join(
                output.get("data", {}).get("text/plain", "")
            )
            assert not ADDRESS.search(text), source[:60]
            if output["output_type"] == "error":
                assert "raises-exception" in tags, source[:60]


def test_every_lesson_has_the_seven_parts():
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        for part in PARTS[edition(path)]:
            assert f"## {part}" in text, f"{path} lacks ## {part}"


LINE_LENGTH = 100
"""The widest line a notebook cell shows at 1400 px without wrapping or cutting it."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: "/".join(p.parts[-2:]))
def test_notebook_lines_fit_the_cell(path):
    """No code line and no stored text output line (stream text or text/plain) is wider than
    LINE_LENGTH columns (a Chinese character takes two): a wider line is cut at the cell's edge
    or wrapped mid-word."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    too_long = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        texts = [("code", "".join(cell["source"]))]
        for output in cell["outputs"]:
            texts.append(("output", "".join(output.get("text", ""))))
            texts.append(("output", "".join(output.get("data", {}).get("text/plain", ""))))
        for kind, text in texts:
            too_long += [
                f"{path.name} cell {index} {kind} line of {width(line)} columns: {line}"
                for line in text.splitlines()
                if width(line) > LINE_LENGTH
            ]
    assert not too_long, "\n".join(too_long)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: "/".join(p.parts[-2:]))
def test_no_committed_output_shows_a_solution(path):
    """A problem's answer is the learner's to reveal: no stored output says "Correct", shows an
    answer, or what the simulator did for a prediction; and the problems' my_answer is None."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for match in re.finditer(r"^(my_answer\w*) = (.*?)(\s*#.*)?$", source, re.M):
            assert match.group(2) == "None", f"{path.name}: {match.group(0)}"
        for output in cell["outputs"]:
            text = "".join(output.get("text", "")) + "".join(
                output.get("data", {}).get("text/plain", "")
            )
            giveaway = GIVEAWAYS.search(text)
            assert not giveaway, f"{path.name}: {source[:60]!r} shows {giveaway}"
        assert ".answer()" not in source, f"{path.name}: {source[:60]!r} prints an answer"
