"""Committed notebooks: no widget state, python3 kernel, no ';' plot cells, no Python addresses."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path(__file__).parent.parent.joinpath("notebooks").glob("*.ipynb"))
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{6,}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
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
        for heading in (
            "## Goal",
            "## The idea",
            "## Try it",
            "## Look at it",
            "## Break it",
            "## Check yourself",
            "## Summary",
        ):
            assert heading in text, f"{path.name} lacks {heading}"


LINE_LENGTH = 100
"""The widest line a notebook cell shows at 1400 px without wrapping or cutting it."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_lines_fit_the_cell(path):
    """No code line and no stored text output line (stream text or text/plain) is wider than
    LINE_LENGTH characters: a wider line is cut at the cell's edge or wrapped mid-word."""
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
                f"{path.name} cell {index} {kind} line of {len(line)} characters: {line}"
                for line in text.splitlines()
                if len(line) > LINE_LENGTH
            ]
    assert not too_long, "\n".join(too_long)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
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
            for giveaway in ("Correct:", "Answer:", "The simulator:", ".answer()"):
                assert giveaway not in text, f"{path.name}: {source[:60]!r} shows {giveaway}"
        assert ".answer()" not in source, f"{path.name}: {source[:60]!r} prints an answer"
