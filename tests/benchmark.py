"""Speed and memory figures, each printed beside a floor measured in the same run.

Run with ``make bench``.  Timings are the best of several repeats (the least disturbed by other
work on the machine); the widget figure is a median.  Targets are in issue 2.
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
    code = "import time,sys; t=time.perf_counter(); import wdfkit; "
    code += "print(time.perf_counter()-t, 'matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
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
    print(
        f"import wdfkit: {seconds:.3f} s (target <= 0.15 s; matplotlib loaded: {runs[0][1]}, "
        f"ipywidgets loaded: {runs[0][2]}); floor 'import json' {floor:.4f} s"
    )


def pairs() -> float:
    """WdfMemoryCreate+Delete per second; returns the Verifier-off rate (the unit of cost)."""
    floor = best_rate(floor_pairs, 200_000)
    rates = {}
    for verifier in (False, True):
        with Machine(verifier=verifier):
            rate = rates[verifier] = best_rate(wdf_pairs, 20_000)
        print(
            f"WdfMemoryCreate+WdfObjectDelete, Verifier {'on ' if verifier else 'off'}: "
            f"{rate:,.0f} pairs/s (target >= 150,000); floor (dict store+delete) "
            f"{floor:,.0f}/s, {floor / rate:.0f}x faster"
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
        f"WdfMemoryCreateFromLookaside+WdfObjectDelete: {wdf_rate:,.0f} pairs/s (target >= "
        f"150,000); kernel list allocate+free: {raw_rate:,.0f} pairs/s (target >= 1,000,000); "
        f"floor (deque pop+append) {floor_rate:,.0f}/s, {floor_rate / wdf_rate:.0f}x and "
        f"{floor_rate / raw_rate:.1f}x faster"
    )


def lookaside_lab() -> None:
    from wdfkit.show.widgets import LookasideLab

    with contextlib.redirect_stdout(io.StringIO()):
        lab = LookasideLab()
        lab.durations[0].value = 20  # worked example A (50 s) with a longer first phase: 60 s
        seconds = sum(d.value for d in lab.durations)
        # Each change re-simulates all those virtual seconds and redraws.
        taken = median_ms(lambda i: setattr(lab.rates[0], "value", 60 + 10 * i), repeats=15)
    print(
        f"lookaside lab: re-simulate a {seconds} s workload and redraw to PNG, median "
        f"{taken:.0f} ms (target <= 150 ms)"
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
        print(
            f"forwarded reads, Verifier {'on ' if verifier else 'off'}: {rate:,.0f} requests/s "
            f"(target >= 20,000); one request costs {pair_rate / rate:.1f} "
            "WdfMemoryCreate+Delete pairs"
        )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    machine = forwarding_machine(True, timeline=True)
    with machine:
        app = machine.application()
        for _ in range(100_000):
            app.ReadFile(buffer)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(
        f"100,000 forwarded reads (Verifier and timeline on): peak RSS growth {growth:.1f} MB, "
        f"timeline kept {len(machine.timeline.events)} events (bounded)"
    )


def memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Machine():
        wdf_pairs(1_000_000)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"1,000,000 pairs (Verifier on): peak RSS growth {growth:.1f} MB (target <= 50 MB)")


def widget_interaction() -> None:
    """A slider move / button click: the callback, the redraw and the PNG it sends."""
    from matplotlib.figure import Figure

    from wdfkit.show.widgets import AlignmentLab, PoolLab

    def empty_axes_png(_):
        figure = Figure(figsize=(10, 2.8))
        figure.add_subplot()
        figure.savefig(io.BytesIO(), format="png")

    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Output prints here
        alignment = AlignmentLab()
        slider = median_ms(lambda i: setattr(alignment.sizes[0], "value", 20 + i))
        pool = PoolLab()
        button = median_ms(lambda i: pool.allocate())
    floor = median_ms(empty_axes_png)
    print(
        f"widget interaction, callback + redraw to PNG (median of 30; target <= 100 ms): "
        f"AlignmentLab slider {slider:.0f} ms, PoolLab button {button:.0f} ms; "
        f"floor (empty axes to PNG) {floor:.0f} ms"
    )


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

    with tempfile.TemporaryDirectory(dir=ROOT / "notebooks") as folder:
        empty = Path(folder) / "empty.ipynb"
        empty.write_text(json.dumps(_empty_notebook()))
        floor = min(seconds(empty) for _ in range(2))
    print(f"pytest --nbval, seconds per lesson (floor: an empty notebook, {floor:.1f} s):")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    width = max(len(notebook.name) for notebook in notebooks)
    for notebook in notebooks:
        taken = seconds(notebook)
        print(f"  {notebook.name:{width}} {taken:5.1f} s  ({taken - floor:+.1f} s over the floor)")


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


def main() -> None:
    import_time()
    pair_rate = pairs()
    lookaside_pairs()
    requests(pair_rate)
    memory()
    widget_interaction()
    lookaside_lab()
    nbval_per_lesson()


if __name__ == "__main__":
    main()
