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
