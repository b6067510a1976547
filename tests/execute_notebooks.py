"""Re-execute notebooks from a clean kernel and store their outputs, deterministically.

Usage: python tests/execute_notebooks.py notebooks/*.ipynb

Cells tagged ``raises-exception`` may fail (they show a bug check on purpose).  Widget state,
execution timing and other per-run metadata are dropped, the kernelspec is normalised to
``python3``, and consecutive stream outputs of one cell are joined (how the kernel splits a
cell's printing into messages depends on how busy the machine is), so running this twice leaves
the files unchanged.  A widget's stored output (a
random model id that no saved state backs) becomes a line asking the reader to run the cell.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_PLACEHOLDER = "An interactive lab: run this cell (Shift+Enter) to open it."
REVEAL_PLACEHOLDER = "Buttons that run it and show the answer: run this cell (Shift+Enter)."
CHINESE_PLACEHOLDERS = {
    WIDGET_PLACEHOLDER: "交互实验：运行这个单元格（Shift+Enter）即可打开。",
    REVEAL_PLACEHOLDER: "“运行看看”和“显示答案”两个按钮：运行这个单元格（Shift+Enter）即可出现。",
}
"""What a Chinese lesson (notebooks/zh-CN/) stores in place of a widget."""
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def placeholder(path: Path, english: str) -> str:
    """The stored text for a widget cell of the notebook at *path*, in its language."""
    return CHINESE_PLACEHOLDERS[english] if "zh-CN" in path.parts else english


def notebook_client(nb, directory: Path, timeout: int, **options) -> NotebookClient:
    """A runner for *nb* in a fresh ``python3`` kernel whose working directory is *directory*
    (the notebook's own folder, so its relative paths resolve)."""
    return NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(directory)}},
        **options,
    )


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    notebook_client(nb, path.parent, timeout=300, record_timing=False).execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = join_streams(cell.outputs)
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                reveal = "reveal" in cell.metadata.get("tags", [])
                english = REVEAL_PLACEHOLDER if reveal else WIDGET_PLACEHOLDER
                output["data"] = {"text/plain": placeholder(path, english)}
    nbformat.write(nb, path)
    print(f"executed {path}")


def join_streams(outputs: list) -> list:
    """Consecutive stdout (or stderr) outputs as one, as the learner sees them."""
    joined: list = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] += output["text"]
        else:
            joined.append(output)
    return joined


if __name__ == "__main__":
    for name in sys.argv[1:]:
        execute(Path(name))
