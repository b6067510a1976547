"""Open every lesson in JupyterLab in headless Chromium, run all cells, use a widget.

Needs Debian's /usr/bin/chromium (Playwright's own browser download does not work offline).
Screenshots go to build/screenshots/ (``<lesson>-lab.png``: the lab alone, for the README).
Run with ``make browser-test``.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "build" / "screenshots"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHINESE = sorted((ROOT / "notebooks" / "zh-CN").glob("*.ipynb"))


# Lessons 06-11's labs run the learner's driver cells (the last ones run): a driver move is
# a line of the package's copy, so its control is enabled once the lab runs the package's.
def checkbox(label: str) -> str:
    return f".wdfkit-scenario-lab .widget-checkbox:has-text('{label}') input"


def dropdown(label: str) -> str:
    return f".wdfkit-scenario-lab .widget-dropdown:has(label:text-is('{label}')) select"


DRIVER = dropdown("driver")  # your driver or the package's


# What to do with each lesson's widget, and the label text that proves it reacted.
INTERACTIONS = {
    "02_lookaside_lists.ipynb": (
        ".wdfkit-lookaside-lab button:has-text('WdfMemoryCreateFromLookaside')",
        "click",
        "WdfMemoryCreateFromLookaside ->",
    ),
    "00_start_here.ipynb": (".wdfkit-memory-lab input[type=checkbox]", "check", "embedded"),
    "01_memory_objects.ipynb": (
        ".wdfkit-copy-lab select",
        "select:WdfMemoryCopyToBuffer",
        "the local array holds",
    ),
    "03_mdls.ipynb": (".wdfkit-mdl-lab select", "select:packet", "Outcome:"),
    "04_local_buffers.ipynb": (
        ".wdfkit-pool-lab button:has-text('ExAllocatePoolWithTag')",
        "click",
        "ExAllocatePoolWithTag ->",
    ),
    "06_buffer_life_cycle.ipynb": (DRIVER, "choose:the package's", "The package's driver ran"),
    "07_scenario1_complete.ipynb": (dropdown("buffering"), "select:direct", "Outcome:"),
    "08_scenario2_forward.ipynb": (checkbox("lower fails"), "check", "STATUS_IO_DEVICE_ERROR"),
    "09_scenario3_existing_memory.ipynb": (checkbox("ioctl"), "check", "Outcome:"),
    "10_scenario4_new_memory.ipynb": (DRIVER, "choose:the package's", "The package's driver ran"),
    "11_scenario5_reuse_request.ipynb": (checkbox("overlap"), "check", "Outcome:"),
    "13_find_the_bug.ipynb": (
        dropdown("label"),
        "select:13-09 · A completion routine expected to run again",
        "never completed",
    ),
    "05_aligning_buffers.ipynb": (
        ".wdfkit-alignment-lab select",
        "select:64",
        "offsets [0, 64, 128]",
    ),
    "12_your_own_driver.ipynb": (
        ".wdfkit-echo-lab select",
        "select:0.5 s",
        "0 reads returned data, 3 were cancelled",
    ),
}

# Further moves after the first, each checked the same way (the lab's whole look after it):
# the bug check at unload, the empty machine, the tallest timeline.
MORE = {
    "04_local_buffers.ipynb": [
        (".wdfkit-pool-lab button:has-text('Unload driver')", "click", "BUG CHECK 0xC4")
    ],
    "02_lookaside_lists.ipynb": [  # (a second recorded first: the plot changes at each move)
        (".wdfkit-lookaside-lab button:has-text('advance 1 s')", "click", "advanced 1 s"),
        (".wdfkit-lookaside-lab button:has-text('New machine')", "click", "New machine with one"),
    ],
    # (the lab opens at 4 sends, its tallest: the checks as it opens cover that; one send here)
    "11_scenario5_reuse_request.ipynb": [(dropdown("sends"), "select:1", "Outcome:")],
    "06_buffer_life_cycle.ipynb": [(dropdown("buffer"), "select:WdfMemoryCreate", "Outcome:")],
    "08_scenario2_forward.ipynb": [
        (DRIVER, "choose:the package's", "The package's driver ran"),
        (checkbox("completion routine"), "check", "STATUS_INVALID_DEVICE_REQUEST"),
    ],
    "09_scenario3_existing_memory.ipynb": [
        (DRIVER, "choose:the package's", "The package's driver ran"),
        (checkbox("reuse first"), "check", "bug check 0x10D"),
    ],
    "10_scenario4_new_memory.ipynb": [(dropdown("kind"), "select:preallocated", "Outcome:")],
}

LAB_HEIGHT_MAX = 650  # px: a lab and the notebook's toolbar fit in a 900 px window

# What the learner cannot read in a lab: its height, text cut at its box's edge (labels,
# messages, buttons; the widest option of each dropdown against the dropdown's room), and
# plots shown narrower than drawn (their text shrunk).
MEASURE = """(selector) => {
  const lab = document.querySelector(selector);
  const cut = [];
  const boxes = lab.querySelectorAll(
    '.widget-label, .widget-label-basic, .widget-html-content, .widget-readout, button');
  for (const el of boxes) {
    if (el.scrollWidth > el.clientWidth + 1) {
      cut.push(`'${el.textContent.trim().slice(0, 60)}': ${el.scrollWidth} px of text`
               + ` in ${el.clientWidth} px`);
    }
  }
  const context = document.createElement('canvas').getContext('2d');
  for (const select of lab.querySelectorAll('select')) {
    if (select.offsetParent === null) continue;  // a control the lab hides just now
    const style = getComputedStyle(select);
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight);
    for (const option of select.options) {
      const width = context.measureText(option.text).width;
      if (width > room) {
        cut.push(`option '${option.text}': ${Math.round(width)} px of text in ${room} px`);
      }
    }
  }
  const shrunk = [...lab.querySelectorAll('.widget-output img')]
    .filter(img => img.naturalWidth > img.clientWidth + 1)
    .map(img => `a ${img.naturalWidth} px plot shown ${img.clientWidth} px wide`);
  return {height: lab.getBoundingClientRect().height, cut: cut, shrunk: shrunk};
}"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    (work / "zh-CN").mkdir()
    for nb in NOTEBOOKS + CHINESE:  # (copies: never let the browser save over committed files)
        shutil.copy(nb, work / nb.relative_to(ROOT / "notebooks"))
    settings = work / "settings"
    settings.mkdir()
    shutil.copy(ROOT / "binder" / "overrides.json", settings / "overrides.json")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--allow-root",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={work}",
            f"--LabApp.user_settings_dir={work / 'user-settings'}",
            f"--LabApp.app_settings_dir={settings}",  # binder's overrides: no news pop-up
        ],
        env={**__import__("os").environ, "JUPYTERLAB_SETTINGS_DIR": str(work / "user-settings")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (work / "user-settings").mkdir(exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start")
    yield url
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


def expected_errors(path: Path) -> int:
    nb = json.loads(path.read_text())
    return sum("raises-exception" in c["metadata"].get("tags", []) for c in nb["cells"])


def act(page, panel, lab_class: str, move: tuple[str, str, str]) -> None:
    """Make one *move* (selector, action, text a label shows after it); wait for the redraw.

    *action*: "click", "check", "select:<option>", or "choose:<option>" (a selection after which
    the label must say *expected* but the picture may be the same)."""
    selector, action, expected = move
    control = panel.locator(selector).first
    control.scroll_into_view_if_needed()
    plot = panel.locator(f"{lab_class} .widget-output img").first
    plot.wait_for(timeout=30_000)
    old_plot = plot.get_attribute("src")
    if action in ("click", "check"):
        control.click()
    else:
        control.select_option(action.split(":", 1)[1])
    message = panel.locator(f"{lab_class} :is(.widget-label, .widget-html)", has_text=expected)
    message.first.wait_for(timeout=30_000)
    if action.startswith("choose:"):  # a choice whose run may draw the same picture (the
        return  # learner's driver and the package's are the same until the learner edits one)
    page.wait_for_function(  # the plot is redrawn, not only the label
        "([selector, old]) => { const img = document.querySelector(selector);"
        " return img !== null && img.src !== old; }",
        arg=[f".jp-NotebookPanel:not(.lm-mod-hidden) {lab_class} .widget-output img", old_plot],
        timeout=30_000,
    )


def accept_kernel_dialog(page) -> None:
    """On a cold, loaded machine JupyterLab sometimes asks which kernel to start instead of
    starting the notebook's own (python3); accept its proposal, as a learner would."""
    dialog = ".jp-Dialog:has-text('Select Kernel')"
    idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
    for _attempt in range(3):  # the dialog may come after the indicator first says idle
        page.wait_for_selector(f"{idle}, {dialog}", timeout=90_000)  # whichever comes first
        if not page.locator(dialog).count():
            page.wait_for_timeout(1_500)
        if page.locator(dialog).count():
            page.locator(dialog).locator(".jp-Dialog-button.jp-mod-accept").click()
            page.locator(dialog).wait_for(state="detached", timeout=30_000)
            continue
        return


def check_looks(page, lab_class: str, when: str) -> None:
    """The lab fits the window and shows every text whole (see MEASURE)."""
    page.wait_for_function(  # (the redrawn plot has its size)
        "(s) => [...document.querySelectorAll(s)].every(img => img.complete)",
        arg=f".jp-NotebookPanel:not(.lm-mod-hidden) {lab_class} .widget-output img",
    )
    looks = page.evaluate(MEASURE, f".jp-NotebookPanel:not(.lm-mod-hidden) {lab_class}")
    assert looks["height"] <= LAB_HEIGHT_MAX, f"{when}: the lab is {looks['height']:.0f} px tall"
    assert looks["cut"] == [], f"{when}: text cut off: {looks['cut']}"
    assert looks["shrunk"] == [], f"{when}: {looks['shrunk']}"


def open_and_run_all(page, lab: str, name: str, shot: str) -> None:
    """Open lesson *name* (a path under notebooks/), clear its outputs, run every cell."""
    page.goto(f"{lab}/lab/tree/{name}?reset")
    accept_kernel_dialog(page)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.click(".lm-MenuBar-itemLabel:text-is('Edit')")
    page.locator(".lm-Menu-itemLabel", has_text="Clear Outputs of All Cells").first.click()
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    try:
        page.wait_for_function(
            "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
            " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
            timeout=420_000,  # a cold first kernel on a loaded CI machine is slow
        )
    finally:  # (where it stopped, if it did)
        page.screenshot(path=str(SHOTS / f"{shot}-ran.png"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_runs_and_widget_reacts(lab, browser, path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The learner's window: 1400 x 900, with the file browser open beside the notebook.
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    open_and_run_all(page, lab, path.name, path.stem)
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    texts = [t[:120] for t in errors.all_inner_texts()]
    assert errors.count() <= expected_errors(path), f"unexpected error output: {texts}"
    first = INTERACTIONS[path.name]
    lab_class = first[0].split()[0]
    panel.locator(lab_class).first.scroll_into_view_if_needed()
    panel.locator(f"{lab_class} .widget-output img").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / f"{path.stem}-before.png"))
    check_looks(page, lab_class, "as it opens")
    for k, move in enumerate([first, *MORE.get(path.name, [])]):
        act(page, panel, lab_class, move)
        panel.locator(lab_class).first.scroll_into_view_if_needed()  # show the whole lab
        page.screenshot(path=str(SHOTS / f"{path.stem}-after{'' if k == 0 else k + 1}.png"))
        if k == 0:  # the lab on its own, after the learner's first move (the README shows one)
            panel.locator(lab_class).first.screenshot(path=str(SHOTS / f"{path.stem}-lab.png"))
        check_looks(page, lab_class, f"after {move[0]} {move[1]}")
    reveal_first_problem(page, panel, path)
    if path.name == "13_find_the_bug.ipynb":
        fix_and_grade(page, panel)
    page.close()


def fix_and_grade(page, panel) -> None:
    """Lesson 13 as a learner does it: fix exercise 13-04's driver in its cell (free with the
    allocation's tag), run it, the plain run and the grade cell; the grade now passes."""
    from test_find_the_bug import fix_04

    from wdfkit.course import findthebug

    bug = findthebug.exercise("13-04", seed=0)
    wrong = "ExFreePoolWithTag(scratch, WRITE_TAG)"  # in the driver cell's input (the C is output)
    inputs = page.locator(".jp-InputArea", has_text=wrong)
    driver = panel.locator(".jp-CodeCell", has=inputs).first
    driver.scroll_into_view_if_needed()
    driver.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(fix_04(bug.python, 0))  # typed as one edit: no auto-indent
    for _ in range(3):  # the driver cell, the plain run, the grade
        page.keyboard.press("Shift+Enter")
    graded = panel.locator(".jp-CodeCell", has_text="print(bug4.grade(EvtDriverDeviceAdd))")
    graded.locator(".jp-OutputArea-output", has_text="PASSED").first.wait_for(timeout=60_000)
    graded.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "13_find_the_bug-graded.png"))


def show_the_answer(page, box, button: str, answer: str, shot: str) -> None:
    """Press the reveal box's *button*; wait until it shows the *answer* line; screenshot."""
    box.locator(f"button:has-text('{button}')").click()
    page.wait_for_function(
        "([s, answer]) => document.querySelector(s).innerText.includes(answer)",
        arg=[".jp-NotebookPanel:not(.lm-mod-hidden) .wdfkit-reveal .widget-html-content", answer],
        timeout=30_000,
    )
    page.screenshot(path=str(SHOTS / f"{shot}-reveal.png"))


def reveal_first_problem(page, panel, path: Path) -> None:
    """The first problem's buttons: nothing shown before a press; Run it (when the problem has
    one) shows what the simulator did, Show the answer the answer, wrapped inside the cell."""
    if not panel.locator(".wdfkit-reveal").count():  # (lesson 13 grades instead)
        return
    box = panel.locator(".wdfkit-reveal").first
    box.scroll_into_view_if_needed()
    text = box.locator(".widget-html-content")
    assert text.inner_text().strip() == "", f"{path.name}: a reveal shows text before a press"
    run_it = box.locator("button:has-text('Run it')")
    if run_it.count():
        run_it.click()
        box.locator("pre").first.wait_for(timeout=30_000)
        assert "The simulator:" in text.inner_text()
    show_the_answer(page, box, "Show the answer", "Answer:", path.stem)
    looks = page.evaluate(MEASURE, ".jp-NotebookPanel:not(.lm-mod-hidden) .wdfkit-reveal")
    assert looks["cut"] == [], f"{path.name}: reveal text cut off: {looks['cut']}"


# Characters drawn as the font's "missing glyph" box (tofu): each Chinese character the page
# shows is drawn in its element's own font and compared, pixel for pixel, with a character no
# font has (U+10FFFD, private use); the same picture means the font had no glyph for it.
TOFU = """(selector) => {
  const root = document.querySelector(selector);
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (font, text) => {
    context.clearRect(0, 0, 48, 48);
    context.font = font; context.textBaseline = 'top';
    context.fillText(text, 4, 4);
    return context.getImageData(0, 0, 48, 48).data.join(',');
  };
  const missing = new Set(); const seen = new Set();
  const rootFont = `32px ${getComputedStyle(root).fontFamily}`;
  // the check itself: another character no font has is seen as a box
  const sees = draw(rootFont, String.fromCodePoint(0x10FFFC))
    === draw(rootFont, String.fromCodePoint(0x10FFFD));
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const style = getComputedStyle(node.parentElement);
    const font = `32px ${style.fontFamily}`;
    const box = draw(font, String.fromCodePoint(0x10FFFD));
    for (const ch of node.textContent) {
      if (!/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(ch)) continue;
      const key = font + ch;
      if (seen.has(key)) continue;
      seen.add(key);
      if (draw(font, ch) === box) missing.add(ch);
    }
  }
  return {checked: seen.size, missing: [...missing].join(''), sees: sees};
}"""


@pytest.mark.parametrize("path", CHINESE, ids=lambda p: f"zh-CN/{p.name}")
def test_chinese_lesson_runs_shows_every_glyph_and_its_lab_fits(lab, browser, path):
    """A Chinese lesson runs clean in the browser; no character of it is drawn as a box (a
    missing glyph in the page's fonts; a plot's missing glyph is matplotlib's warning, an error
    output here); its lab opens whole and fits; its first problem's buttons are Chinese."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    open_and_run_all(page, lab, f"zh-CN/{path.name}", f"zh-CN-{path.stem}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    texts = [t[:120] for t in errors.all_inner_texts()]
    assert errors.count() <= expected_errors(path), f"unexpected error output: {texts}"
    lab_class = INTERACTIONS[path.name][0].split()[0]
    panel.locator(lab_class).first.scroll_into_view_if_needed()
    panel.locator(f"{lab_class} .widget-output img").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / f"zh-CN-{path.stem}-lab.png"))
    check_looks(page, lab_class, "as it opens")
    labels = panel.locator(lab_class).first.inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in labels), f"the lab's labels: {labels!r}"
    if panel.locator(".wdfkit-reveal").count():
        box = panel.locator(".wdfkit-reveal").first
        box.scroll_into_view_if_needed()
        show_the_answer(page, box, "显示答案", "答案：", f"zh-CN-{path.stem}")
    glyphs = page.evaluate(TOFU, ".jp-NotebookPanel:not(.lm-mod-hidden)")
    assert glyphs["sees"], "the check cannot tell a missing glyph (two boxes drawn unlike)"
    assert glyphs["checked"] > 50, glyphs  # the lesson's Chinese was there to check
    # (the check itself: two characters no font has look alike; were each drawn differently,
    # as a box with its code point, no missing glyph could ever be seen)
    assert glyphs["sees"], f"this browser draws no common missing-glyph box: {glyphs}"
    assert glyphs["missing"] == "", f"drawn as boxes (no font has them): {glyphs['missing']}"
    page.close()
