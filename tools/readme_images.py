"""Make the README's two pictures (``make readme-images``): both come from the course's real output.

docs/images/timeline.png
    Lesson 07's lifetime timeline for a driver that writes through the buffer pointer it kept
    after completing a read, drawn by ``wdfkit.show.plots`` from the scenario's own run.
docs/images/lab.png
    Lesson 03's MDL lab as JupyterLab shows it in Chromium, after the browser test chose the
    packet DMA profile: the test saves it as build/screenshots/03_mdls-lab.png
    (``make readme-images`` runs that test first).
"""

import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from wdfkit.course import scenarios  # noqa: E402
from wdfkit.show import plots  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
LAB_SHOT = ROOT / "build" / "screenshots" / "03_mdls-lab.png"
TITLE = "Lesson 07: a driver completes a read, then writes through the buffer pointer it kept"


def timeline(path: Path) -> None:
    run = scenarios.scenario1(after_complete="buffer pointer")
    figure = plots.lifetime_timeline(run.machine.timeline, TITLE)
    figure.savefig(path, dpi=100, metadata={"Software": None})  # no version: same bytes each run


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    timeline(IMAGES / "timeline.png")
    print("wrote", IMAGES / "timeline.png")
    if not LAB_SHOT.exists():
        print(f"no {LAB_SHOT}: run the browser test first (make readme-images does)")
        return 1
    shutil.copyfile(LAB_SHOT, IMAGES / "lab.png")
    print("wrote", IMAGES / "lab.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
