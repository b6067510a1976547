"""Speed and memory guards, each a ratio to a floor measured in the same run, printed PASS/FAIL.

Run with ``make bench``.  Absolute rates differ from machine to machine (the same code measured
96k and 214k pairs/s on two machines), so each guard compares wdfkit with a floor of plain Python
measured moments before on the same machine.  Timings are the best of several repeats (the least
disturbed by other work); widget figures are medians.  The guards (issue 13) keep the layered,
readable DDIs from getting slower; the process exits 1 if any guard fails.
"""

import contextlib
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wdfkit import Machine, NonPagedPoolNx, WdfMemoryCreate, WdfObjectDelete

ROOT = Path(__file__).resolve().parent.parent
FAILED: list[str] = []


def guard(name: str, value: float, limit: float, unit: str, detail: str) -> None:
    """Print one guard line: *value* against its *limit*, PASS or FAIL."""
    verdict = "PASS" if value <= limit else "FAIL"
    if verdict == "FAIL":
        FAILED.append(name)
    print(f"{verdict}  {name}: {value:.2f}{unit} (limit {limit:g}{unit}); {detail}")


def best_rate(body, n: int, repeats: int = 7) -> float:
    """Operations per second in the fastest of *repeats* runs of ``body(n)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        body(n)
        best = min(best, time.perf_counter() - start)
    return n / best


def median_ms(change, repeats: int = 30) -> float:
    """Median milliseconds of ``change(i)`` for i in range(*repeats*)."""
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        change(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def wdf_pairs(n: int) -> None:
    for _ in range(n):
        _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
        WdfObjectDelete(memory)


def floor_pairs(n: int) -> None:
    table = {}
    for i in range(n):
        table[i] = object()
        del table[i]


def import_time() -> None:
    code = "import time,sys; t=time.perf_counter(); import wdfkit; print(time.perf_counter()-t, "
    code += "*('matplotlib' in sys.modules, 'ipywidgets' in sys.modules, 'IPython' in sys.modules))"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
        for _ in range(5)
    ]
    seconds = min(float(r[0]) for r in runs)
    floor = min(
        float(
            subprocess.run(
                [sys.executable, "-c", code.replace("wdfkit", "json")],
                capture_output=True,
                text=True,
            ).stdout.split()[0]
        )
        for _ in range(5)
    )
    names = ("matplotlib", "ipywidgets", "IPython")
    loaded = [name for name, flag in zip(names, runs[0][1:], strict=True) if flag == "True"]
    guard(
        "import wdfkit",
        seconds,
        0.15,
        " s",
        f"loads {', '.join(loaded) or 'none of matplotlib, ipywidgets, IPython'}; "
        f"'import json' takes {floor:.4f} s",
    )
    if loaded:
        FAILED.append("import wdfkit loads " + ", ".join(loaded))


def pairs() -> float:
    """WdfMemoryCreate+Delete per second; returns the Verifier-off rate (the unit of cost)."""
    floor = best_rate(floor_pairs, 200_000)
    rates = {}
    for verifier, limit in ((False, 120), (True, 180)):
        with Machine(verifier=verifier):
            rate = rates[verifier] = best_rate(wdf_pairs, 20_000)
        guard(
            f"WdfMemoryCreate+WdfObjectDelete, Verifier {'on' if verifier else 'off'}",
            floor / rate,
            limit,
            "x the floor",
            f"{rate:,.0f} pairs/s; floor (dict store+delete) {floor:,.0f}/s",
        )

    return rates[False]


def lookaside_pairs() -> None:
    from collections import deque

    from wdfkit import WdfLookasideListCreate, WdfMemoryCreateFromLookaside
    from wdfkit.kernel.lookaside import LookasideList

    def floor(n: int) -> None:
        stack = deque([object()])
        for _ in range(n):
            stack.append(stack.pop())

    floor_rate = best_rate(floor, 200_000)
    with Machine(verifier=False) as machine:
        _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")

        def wdf(n: int) -> None:
            for _ in range(n):
                WdfObjectDelete(WdfMemoryCreateFromLookaside(lookaside)[1])

        wdf_rate = best_rate(wdf, 20_000)
        kernel_list = LookasideList(machine, NonPagedPoolNx, 64, 0x54616731, "driver", "bench")

        def raw(n: int) -> None:
            allocate, free = kernel_list.allocate, kernel_list.free
            for _ in range(n):
                free(allocate())

        raw_rate = best_rate(raw, 200_000)
    print(
        f"info  WdfMemoryCreateFromLookaside+WdfObjectDelete: {wdf_rate:,.0f} pairs/s; kernel "
        f"list allocate+free: {raw_rate:,.0f} pairs/s; floor (deque pop+append) "
        f"{floor_rate:,.0f}/s, {floor_rate / wdf_rate:.0f}x and {floor_rate / raw_rate:.1f}x faster"
    )


def empty_axes_png(_=None) -> None:
    """The floor for a lab redraw: an empty axes drawn to PNG, as a lab sends its picture."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 2.8))
    figure.add_subplot()
    figure.savefig(io.BytesIO(), format="png")


def widget_interaction(language: str = "en") -> None:
    """A slider move / button click: the callback, the redraw and the PNG it sends; in Chinese
    the labels come from the catalog and the plots draw with a CJK font as well."""
    from wdfkit.language import in_language
    from wdfkit.show.widgets import AlignmentLab, LookasideLab, PoolLab

    said = "" if language == "en" else f" ({language})"
    with contextlib.redirect_stdout(io.StringIO()), in_language(language):
        alignment = AlignmentLab()
        slider = median_ms(lambda i: setattr(alignment.sizes[0], "value", 20 + i))
        pool = PoolLab()
        button = median_ms(lambda i: pool.allocate())
        lab = LookasideLab()
        lab.durations[0].value = 20  # worked example A (50 s) with a longer first phase: 60 s
        seconds = sum(d.value for d in lab.durations)
        # Each change re-simulates all those virtual seconds and redraws.
        lookaside = median_ms(lambda i: setattr(lab.rates[0], "value", 60 + 10 * i), repeats=15)
    floor = median_ms(empty_axes_png)
    detail = f"floor (empty axes to PNG) {floor:.0f} ms"
    guard(
        f"AlignmentLab slider + redraw{said}",
        slider / floor,
        2,
        "x the floor",
        f"{slider:.0f} ms; {detail}",
    )
    guard(
        f"PoolLab button + redraw{said}",
        button / floor,
        2,
        "x the floor",
        f"{button:.0f} ms; {detail}",
    )
    guard(
        f"LookasideLab: re-simulate {seconds} s and redraw{said}",
        lookaside / floor,
        4,
        "x the floor",
        f"{lookaside:.0f} ms; {detail}",
    )


def forwarding_machine(verifier: bool, timeline: bool = False):
    """A machine whose driver forwards every read to its lower device (lesson 08's EvtIoRead)."""
    from wdfkit.course import scenarios
    from wdfkit.ddi.wdfdevice import WdfDeviceCreate, WdfDeviceGetIoTarget
    from wdfkit.ddi.wdfio import (
        WDF_IO_QUEUE_CONFIG,
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
        WdfIoQueueCreate,
        WdfIoQueueDispatchParallel,
        WdfIoQueueGetDevice,
    )
    from wdfkit.ddi.wdfiotarget import WdfIoTargetFormatRequestForRead
    from wdfkit.ddi.wdfrequest import (
        WdfRequestRetrieveOutputMemory,
        WdfRequestSend,
        WdfRequestSetCompletionRoutine,
    )

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        _, memory = WdfRequestRetrieveOutputMemory(Request)
        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
        WdfRequestSetCompletionRoutine(Request, scenarios.RequestCompletionRoutine, None)
        WdfRequestSend(Request, target, None)

    def add(Driver, DeviceInit):
        _, device = WdfDeviceCreate(DeviceInit, None)
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchParallel)
        config.EvtIoRead = EvtIoRead
        return WdfIoQueueCreate(device, config, None)[0]

    machine = Machine(verifier=verifier, timeline=timeline)
    with machine:
        machine.add_device(add)
    return machine


def requests(pair_rate: float) -> None:
    """Application read -> EvtIoRead -> format -> send -> lower device -> routine -> complete."""
    for verifier in (False, True):
        machine = forwarding_machine(verifier)
        app = machine.application()
        buffer = bytearray(64)

        def reads(n: int, app=app, buffer=buffer) -> None:
            for _ in range(n):
                app.ReadFile(buffer)

        with machine:
            rate = best_rate(reads, 5_000, repeats=5)
        guard(
            f"forwarded read, Verifier {'on' if verifier else 'off'}",
            pair_rate / rate,
            12,
            " pair-costs",
            f"{rate:,.0f} reads/s; a pair-cost is one WdfMemoryCreate+WdfObjectDelete, "
            "Verifier off",
        )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    machine = forwarding_machine(True, timeline=True)
    with machine:
        app = machine.application()
        for _ in range(100_000):
            app.ReadFile(buffer)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(
        f"info  100,000 forwarded reads (Verifier and timeline on): peak RSS growth "
        f"{growth:.1f} MB, timeline kept {len(machine.timeline.events)} events (bounded)"
    )


def own_request_driver():
    """EvtDriverDeviceAdd of a lesson-13-shaped driver: each read goes down in a request and
    memory of the driver's own, and the data is copied back into the application's request."""
    from wdfkit.course import scenarios
    from wdfkit.ddi.wdfdevice import WdfDeviceGetIoTarget, WdfDeviceIoDirect
    from wdfkit.ddi.wdfio import WdfIoQueueGetDevice
    from wdfkit.ddi.wdfiotarget import WdfIoTargetFormatRequestForRead
    from wdfkit.ddi.wdfmemory import WdfMemoryCopyFromBuffer, WdfMemoryCopyToBuffer
    from wdfkit.ddi.wdfobject import WDF_OBJECT_ATTRIBUTES, WDF_OBJECT_ATTRIBUTES_INIT
    from wdfkit.ddi.wdfrequest import (
        WdfRequestComplete,
        WdfRequestCompleteWithInformation,
        WdfRequestCreate,
        WdfRequestRetrieveOutputMemory,
        WdfRequestSend,
        WdfRequestSetCompletionRoutine,
    )

    def CopyBack(Request, Target, Params, Context):
        status, information = Params.IoStatus.Status, Params.IoStatus.Information
        if status == 0 and information:
            _, outMemory = WdfRequestRetrieveOutputMemory(Context)
            data = bytearray(information)
            WdfMemoryCopyToBuffer(Params.Parameters.Read.Buffer, 0, data, information)
            WdfMemoryCopyFromBuffer(outMemory, 0, bytes(data), information)
        WdfObjectDelete(Request)
        WdfRequestCompleteWithInformation(Context, status, information if status == 0 else 0)

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        _, newRequest = WdfRequestCreate(None, target)
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.ParentObject = newRequest
        _, memory, _ = WdfMemoryCreate(attributes, NonPagedPoolNx, "pwnO", Length)
        WdfIoTargetFormatRequestForRead(target, newRequest, memory, None, None)
        WdfRequestSetCompletionRoutine(newRequest, CopyBack, Request)
        if not WdfRequestSend(newRequest, target, None):
            WdfObjectDelete(newRequest)
            WdfRequestComplete(Request, 0xC0000001)

    return scenarios.queue_driver(WdfDeviceIoDirect, {"EvtIoRead": EvtIoRead}, parallel=True)


def grading() -> None:
    """grade() over its default seeds against one plain run of the same driver: one machine
    (both verifiers on), its device added, one 64-byte read."""
    from wdfkit.course.grader import DEFAULT_SEEDS, FORWARD_READS, grade

    add = own_request_driver()

    def plain_run(_=None) -> None:
        machine = Machine(verifier=True)
        with machine:
            machine.add_device(add)
            machine.application().ReadFile(bytearray(64))

    def graded(_=None) -> None:
        if not grade(add, FORWARD_READS):
            raise SystemExit("benchmark: the lesson-13-shaped driver failed grade")

    plain = 1 / best_rate(plain_run, 1, repeats=30)
    seconds = 1 / best_rate(graded, 1, repeats=7)
    name = f"grade over its {len(DEFAULT_SEEDS)} default seeds (lesson-13 forwarding driver)"
    detail = f"{seconds * 1000:.1f} ms; one plain run (a machine, one read) {plain * 1000:.2f} ms"
    guard(name, seconds / plain, 300, "x one plain run", detail)
    guard(f"{name}, time", seconds, 3, " s", "the issue's budget on a 2-core machine")


def memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Machine():
        wdf_pairs(1_000_000)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    guard("1,000,000 pairs (Verifier on), peak RSS growth", growth, 50, " MB", "nothing is kept")


def nbval_per_lesson() -> None:
    def seconds(notebook: Path) -> float:
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", str(notebook), "-p", "no:randomly"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"nbval failed on {notebook.name}:\n{result.stdout[-2000:]}")
        return time.perf_counter() - start

    folder = ROOT / "notebooks"
    notebooks = sorted(folder.glob("*.ipynb")) + sorted(folder.glob("zh-CN/*.ipynb"))
    names = [str(notebook.relative_to(folder)) for notebook in notebooks]
    width = max(len(name) for name in names)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        empty = Path(scratch) / "empty.ipynb"
        empty.write_text(json.dumps(_empty_notebook()))
        seconds(empty)  # (the first kernel of the run starts colder than the rest)
        for notebook, name in zip(notebooks, names, strict=True):
            # The floor is measured next to each lesson: over the 28 lessons' two minutes a
            # busy 2-core machine drifts by more than a lesson's own cost.
            floor = seconds(empty)
            taken = seconds(notebook)
            guard(  # a ratio, as every guard here: seconds over the floor grew with the machine
                f"nbval {name:{width}}",
                taken / floor,
                1.6,
                "x the floor",
                f"{taken:.1f} s; floor (an empty notebook, just before) {floor:.1f} s",
            )


def _empty_notebook() -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "empty",
                "metadata": {},
                "outputs": [],
                "source": "pass",
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def answer_checking(language: str = "en") -> None:
    """Checking an answer reads it and compares: no simulation, so it must feel instant."""
    from wdfkit.course import exercises
    from wdfkit.language import in_language

    with in_language(language):
        _check_answers(language, [exercises.make_problem(label, 1) for label in exercises.labels()])


def _check_answers(language: str, problems: list) -> None:
    answers = [None, "nonsense", 7, "0xC0000010", "(0x10D, 5)", "STATUS_CANCELLED"]
    slowest = 0.0
    for problem in problems:
        for answer in [*answers, problem.solution, problem.kind.show(problem.solution)]:
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                problem.check(answer)
                best = min(best, time.perf_counter() - start)
            slowest = max(slowest, best)
    guard(
        "checking an answer" + ("" if language == "en" else f" ({language})"),
        slowest * 1000,
        50,
        " ms",
        f"the slowest of {len(problems)} problems x {len(answers) + 2} answers "
        "(the issue's limit: instant, at most 50 ms)",
    )


def main() -> None:
    import_time()
    pair_rate = pairs()
    lookaside_pairs()
    requests(pair_rate)
    grading()
    memory()
    widget_interaction()
    widget_interaction("zh_CN")
    answer_checking()
    answer_checking("zh_CN")
    nbval_per_lesson()
    if FAILED:
        raise SystemExit(f"{len(FAILED)} guard(s) failed: {'; '.join(FAILED)}")
    print("every guard passed")


if __name__ == "__main__":
    main()
