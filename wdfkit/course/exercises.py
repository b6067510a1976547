"""Check-yourself problems: seeded, printed with ``?`` marks, answered by the simulator.

``make_problem(label, seed)`` builds a problem; ``problem.check(answer)`` returns feedback text;
``problem.answer()`` shows the solution.  The answers are never hard-coded: each is computed by
running the same DDIs on a fresh simulated machine (the OSTEP ``-s SEED`` / ``-c`` habit).
"""

import random
from dataclasses import dataclass

from ..ddi.wdfcore import WDF_ALIGN_SIZE_UP
from ..ddi.wdfmemory import WdfMemoryCopyFromBuffer, WdfMemoryCopyToBuffer, WdfMemoryCreate
from ..ddi.wdm import ExAllocatePoolWithTag, ExFreePoolWithTag
from ..kernel.bugcheck import BugCheck
from ..kernel.ntstatus import NT_SUCCESS
from ..kernel.pool import NonPagedPoolNx, PagedPool
from ..kernel.text import fill
from ..sim.machine import Machine
from . import samples


@dataclass
class Problem:
    """A question with its computed answer."""

    label: str
    question: str
    solution: object
    explanation: str
    in_hex: bool = False
    """Show the solution's numbers in hex, as a debugger shows codes and statuses."""
    prediction: bool = False
    """A prediction the learner writes in ``my_answer`` (lesson 12): with none yet, the
    feedback asks for one; a pair may be a list as well as a tuple."""

    def __repr__(self) -> str:
        return fill(f"[{self.label}] {self.question}")

    def check(self, answer) -> str:
        """Feedback on *answer*: right, or what to look at again."""
        if self.prediction:
            if answer is None:
                return fill("No answer yet: write your prediction in my_answer first.")
            if isinstance(answer, list):
                answer = tuple(answer)
        if answer == self.solution:
            return fill(f"Correct: {self.explanation}")
        if self.prediction:
            return fill(
                f"Not quite: you answered {self._shown(answer)}. Run it on the simulator and "
                "see where it went another way than you predicted."
            )
        return fill(
            f"Not quite: you answered {self._shown(answer)}. Run the calls again and look closely."
        )

    def answer(self) -> str:
        return fill(f"Answer: {self._shown(self.solution)}. {self.explanation}")

    def _shown(self, value) -> str:
        """*value* as the question asks for it: codes in hex ((0x10D, 0x5), not (269, 5))."""
        numbers = value if isinstance(value, tuple) else (value,)
        if not self.in_hex or not all(type(n) is int for n in numbers):
            return repr(value)
        shown = ", ".join(f"0x{n:X}" for n in numbers)
        return f"({shown})" if isinstance(value, tuple) else shown


def make_problem(label: str, seed: int = 0) -> Problem:
    """The problem *label* ("00-ex1" … "11-ex1", "12-ex1" … "12-ex3") drawn with *seed*."""
    makers = {
        "00-ex1": _lesson00,
        "01-ex1": _lesson01,
        "02-ex1": _lesson02,
        "03-ex1": _lesson03,
        "04-ex1": _lesson04,
        "05-ex1": _lesson05,
    }
    makers.update({f"{n:02d}-ex1": _life_cycle for n in range(6, 12)})
    makers.update({"12-ex1": _echo_cancel, "12-ex2": _echo_write_read, "12-ex3": _nonpnp_ioctl})
    if label not in makers:
        raise ValueError(f"make_problem: unknown label {label!r}; choose from {sorted(makers)}")
    return makers[label](label, random.Random(seed))


def _lesson00(label: str, rng: random.Random) -> Problem:
    size = rng.choice([32, 200, 1000, 4096, 9000])
    pool, pool_name = rng.choice([(NonPagedPoolNx, "NonPagedPoolNx"), (PagedPool, "PagedPool")])
    verifier = rng.choice([True, False])  # KMDF Verifier: FxPoolTrackingOn picks the layout
    machine = Machine("Toaster", kmdf_verifier=verifier)
    with machine:
        before = len(machine.snapshot().blocks)
        WdfMemoryCreate(None, pool, "xEyM", size)
        blocks = len(machine.snapshot().blocks) - before
    return Problem(
        label,
        f"With KMDF Verifier {'on' if verifier else 'off'}, WdfMemoryCreate(None, {pool_name}, "
        f"'xEyM', {size}) allocates ? pool block(s). Call check(n).",
        blocks,
        "one block when KMDF embeds a small nonpaged buffer after the object, two when the "
        "buffer gets a block of its own (a page or more, paged pool, or KMDF Verifier's pool "
        "tracking; Driver Verifier does not change the layout).",
    )


def _lesson01(label: str, rng: random.Random) -> Problem:
    size = rng.choice([16, 32, 64])
    offset = rng.choice([0, size // 2, size - 4, size])
    count = rng.choice([0, 4, size // 2, size])
    copy_in = rng.choice([True, False])
    ddi = "WdfMemoryCopyFromBuffer" if copy_in else "WdfMemoryCopyToBuffer"
    with Machine("Toaster"):
        _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "xEyM", size)
        local = bytearray(size)
        if copy_in:
            status = WdfMemoryCopyFromBuffer(memory, offset, bytes(size), count)
        else:
            status = WdfMemoryCopyToBuffer(memory, offset, local, count)
    return Problem(
        label,
        f"A memory object has a {size}-byte buffer. {ddi}(memory, {offset}, localArray, "
        f"{count}) returns which status? Give the number, e.g. 0xC0000023.",
        status,
        "Zero bytes is STATUS_INVALID_PARAMETER; a copy that would cross the end "
        "is refused whole: STATUS_INVALID_BUFFER_SIZE into the object, STATUS_BUFFER_TOO_SMALL "
        "out of it.",
    )


def _lesson02(label: str, rng: random.Random) -> Problem:
    from . import workload

    phases = [
        workload.Phase(rng.choice([40, 100, 200, 300]), rng.choice([3, 6, 9])),
        workload.Phase(0, rng.choice([3, 6])),
    ]
    run = workload.run(phases)
    depth = run.machine.snapshot().balance.lists[0].depth
    described = ", then ".join(
        f"{p.rate} buffers per second (burst) for {p.seconds} s"
        if p.rate
        else f"idle {p.seconds} s"
        for p in phases
    )
    return Problem(
        label,
        f"A new WDFLOOKASIDE (nonpaged, 256-byte buffers, Driver Verifier off; nonpaged lists are "
        f"re-tuned at t = 3, 6, 9 … s) sees {described}. Its Depth at the end is ?  "
        "Call check(n).",
        depth,
        "each scan looks at the last 3 s: under 75 allocations, −10; misses under 5 per "
        "thousand, −1; otherwise + min(30, misses-per-thousand × (256 − Depth) / 2000 + 5); "
        "never below 4.",
    )


def _lesson03(label: str, rng: random.Random) -> Problem:
    from .dma_examples import pool_buffer_dma

    offset = rng.choice([0, 0x2A0, 0x800, 0xFF0])
    length = rng.choice([0x10, 0x1000, 0x1800, 0x2800, 0x3010])
    maximum = rng.choice([0x1000, 0x2000])
    run = pool_buffer_dma(offset, length, "scatter/gather", maximum)
    return Problem(
        label,
        f"A buffer starts 0x{offset:X} bytes into a page and is 0x{length:X} bytes long. How "
        f"many PFNs does its MDL hold, and into how many transfers does a scatter/gather DMA "
        f"enabler with MaximumLength 0x{maximum:X} cut it? Call check((pfns, transfers)).",
        (len(run.mdl.pfns), len(run.transfers)),
        "PFNs = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, length): count the pages the bytes touch, "
        "including a partial first and last page; transfers = length / MaximumLength, rounded "
        "up (physical scattering changes the elements per transfer, not the transfer count).",
    )


def _lesson04(label: str, rng: random.Random) -> Problem:
    machine = Machine("Toaster", verifier=True)
    lines, live = [], []
    with machine:
        for _ in range(rng.randint(4, 7)):
            if live and rng.random() < 0.4:
                name, p, tag = live.pop(rng.randrange(len(live)))
                ExFreePoolWithTag(p, tag)
                lines.append(f"ExFreePoolWithTag({name}, '{tag}')")
            else:
                name, tag = f"p{len(lines)}", rng.choice(["1gaT", "2gaT"])
                size = rng.choice([16, 48, 100, 256])
                live.append((name, ExAllocatePoolWithTag(NonPagedPoolNx, size, tag), tag))
                lines.append(f"{name} = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, '{tag}')")
    try:
        machine.unload()
        outcome = 0
    except BugCheck as bugcheck:
        outcome = bugcheck.parameters[3]
    listing = "\n    ".join(lines)
    return Problem(
        label,
        "With Driver Verifier on, the driver runs:\n    "
        + listing
        + "\nthen unloads. Parameter 4 of the 0xC4/0x62 bug check (allocations not freed) is ?"
        " (answer 0 if it unloads cleanly). Call check(n).",
        outcome,
        "Driver Verifier counts every allocation the driver made itself and did not free.",
    )


def _lesson05(label: str, rng: random.Random) -> Problem:
    """The lesson's recipe: over-allocate by AlignTo - 1, round the pool's address up."""
    align = rng.choice([32, 64, 128])
    length = rng.randint(20, 300)
    machine = Machine("Toaster", verifier=True)
    with machine:
        for _ in range(rng.randint(0, 5)):  # earlier allocations move the pool's cursor
            ExAllocatePoolWithTag(NonPagedPoolNx, rng.choice([16, 40, 100]), "rehO")
        block = ExAllocatePoolWithTag(NonPagedPoolNx, length + align - 1, "nlAS")
    base = WDF_ALIGN_SIZE_UP(block.address, align)
    return Problem(
        label,
        f"A driver needs {length} bytes starting on a multiple of {align}. It calls\n"
        f"    ExAllocatePoolWithTag(NonPagedPoolNx, {length} + {align} - 1, 'nlAS')\n"
        f"and gets 0x{block.address:X}. At what address do its aligned bytes start, and how\n"
        "many bytes does it skip before them? Call check((start, skipped)).",
        (base, base - block.address),
        "start = WDF_ALIGN_SIZE_UP(address, AlignTo), skipped = start - address (at most "
        "AlignTo - 1, which is why the driver asked for that many extra bytes). The driver "
        "frees the address the pool gave, not the aligned one.",
        in_hex=True,
    )


def _life_cycle(label: str, rng: random.Random) -> Problem:
    """Lessons 06-11: predict how a scenario ends; the scenario itself gives the answer.

    Each case: the run, the question, and how to read the answer off its bug check (None: the
    answer is the status the application got).
    """
    from . import scenarios

    cases = {
        "06-ex1": (
            lambda: scenarios.scenario1(after_complete="memory handle"),
            "A driver completes a read, then calls WdfMemoryGetBuffer on the output memory "
            "handle it retrieved. Give (bug-check code, parameter 1).",
            lambda b: (b.code, b.parameters[0]),
        ),
        "07-ex1": (
            lambda: scenarios.scenario1(buffering="direct", after_complete="buffer pointer"),
            "With direct I/O, a driver completes a read, then writes through the buffer pointer "
            "it kept. Give the bug-check code.",
            lambda b: b.code,
        ),
        "08-ex1": (
            lambda: scenarios.scenario2(completion_routine=False),
            "The forwarding EvtIoRead leaves out WdfRequestSetCompletionRoutine. What status "
            "does the application get? Give the number, e.g. 0xC0000010.",
            None,
        ),
        "09-ex1": (
            lambda: scenarios.scenario3(reuse_first=False, ioctl=True),
            "Scenario 3 with an IOCTL (input and output memory both formatted into the new "
            "request), and no WdfRequestReuse before completing the original. Give "
            "(bug-check code, parameter 1, parameter 3).",
            lambda b: (b.code, b.parameters[0], b.parameters[2]),
        ),
        "10-ex1": (
            lambda: scenarios.scenario4(kind="preallocated", free_early=True),
            "Scenario 4 with a preallocated buffer freed once the request is formatted, before "
            "WdfRequestSend. Give the bug-check code.",
            lambda b: b.code,
        ),
        "11-ex1": (
            lambda: scenarios.scenario5(overlap=True),
            "Scenario 5 with two reads arriving together on a parallel queue, so the one reused "
            "request is sent again while still outstanding. Give (parameter 1, parameter 2).",
            lambda b: b.parameters[:2],
        ),
    }
    run_it, question, from_bugcheck = cases[label]
    run = run_it()
    if from_bugcheck is None:  # the question is about the status the application got
        solution = int(run.io_status.Status)
    else:
        solution = from_bugcheck(run.bugcheck)
    explanation = f"The simulator's run ended: {run.outcome}."
    return Problem(label, question, solution, explanation, in_hex=True)


def _echo_open(machine: Machine):
    """Lesson 12: let the PnP manager add the echo device to *machine*, whose driver is
    loaded, and open it overlapped as echoapp does."""
    with machine:
        machine.add_device()
        app = machine.process()
        path = app.CM_Get_Device_Interface_List(samples.GUID_DEVINTERFACE_ECHO)[0]
        return app.CreateFile(path, overlapped=True)[1]


def _echo_cancel(label: str, rng: random.Random) -> Problem:
    """Lesson 12, a prediction: the timer completes one read per tick, CancelIo the rest."""
    reads = rng.randint(3, 8)
    cancel_at = rng.choice([0.5, 1.5, 2.5, 4.5, 6.5])
    machine = Machine("echo", DriverEntry=samples.EchoDriverEntry)
    hDevice = _echo_open(machine)
    with machine:
        hDevice.GetOverlappedResult(hDevice.WriteFile(b"0123456789", overlapped=True), True)
        pending = [hDevice.ReadFile(bytearray(10), overlapped=True) for _ in range(reads)]
        machine.advance(cancel_at)
        hDevice.CancelIo()
        statuses = [hDevice.GetOverlappedResult(io, True).Status for io in pending]
    succeeded = sum(NT_SUCCESS(status) for status in statuses)
    return Problem(
        label,
        f"Predict first, then run it. The echo driver (timer period 2 s, its tick just "
        f"completed the application's write) gets {reads} overlapped reads at once. "
        f"{cancel_at} s later the application calls CancelIo. How many reads complete with "
        "data, and how many are cancelled? Call check((with_data, cancelled)).",
        (succeeded, reads - succeeded),
        "The queue is sequential, so the driver holds one read at a time and each tick (every "
        "2 s after the write's) completes the one it holds; CancelIo then cancels the held read "
        "through EvtRequestCancel and the waiting ones in the queue, all at once.",
        prediction=True,
    )


def _echo_write_read(label: str, rng: random.Random) -> Problem:
    """Lesson 12: what the echo driver keeps of a write, and what a read gets back."""
    written = rng.choice([16, 100, 4096, samples.MAX_WRITE_LENGTH, samples.MAX_WRITE_LENGTH + 1])
    asked = rng.choice([8, 64, 512, 8192])
    machine = Machine("echo", DriverEntry=samples.EchoDriverEntry)
    hDevice = _echo_open(machine)
    with machine:
        hDevice.GetOverlappedResult(hDevice.WriteFile(bytes(written), overlapped=True), True)
        issued = machine.clock.seconds
        read = hDevice.GetOverlappedResult(
            hDevice.ReadFile(bytearray(asked), overlapped=True), True
        )
        waited = round(machine.clock.seconds - issued)
    return Problem(
        label,
        f"The echo driver keeps a write of at most MAX_WRITE_LENGTH "
        f"({samples.MAX_WRITE_LENGTH}) bytes. "
        f"On a freshly started echo device, the application writes {written} bytes and waits "
        f"for the write, then reads into a {asked}-byte buffer. How many bytes does the read "
        "return, and how many seconds after it was issued is it complete? Call "
        "check((bytes, seconds)), e.g. check((8, 0)).",
        (read.Information, waited),
        f"EchoEvtIoWrite refuses more than MAX_WRITE_LENGTH ({samples.MAX_WRITE_LENGTH}) bytes "
        "with STATUS_BUFFER_OVERFLOW and keeps nothing, so the read finds no buffer and "
        "completes at once with 0 bytes; otherwise the read gets min(written, buffer size) "
        "bytes and is held until the next tick, one period (2 s) after the write's.",
        prediction=True,
    )


def _nonpnp_ioctl(label: str, rng: random.Random) -> Problem:
    """Lesson 12: what the non-PnP control device answers for each transfer method."""
    method = rng.choice(["BUFFERED", "IN_DIRECT", "OUT_DIRECT", "NEITHER"])
    size = rng.choice([0, 10, 38, 100])
    machine = Machine("NONPNP", DriverEntry=samples.NonPnpDriverEntry)
    with machine:
        _, hDevice = machine.process().CreateFile(samples.DEVICE_NAME)
        code = getattr(samples, f"IOCTL_NONPNP_METHOD_{method}")
        result = hDevice.DeviceIoControl(code, b"hello, driver\0", bytearray(size))
        hDevice.CloseHandle()
    return Problem(
        label,
        f"The application sends IOCTL_NONPNP_METHOD_{method} to the non-PnP control device "
        f"with a 14-byte input buffer and a {size}-byte output buffer. What status and what "
        "Information does it get back? Call check((status, information)), e.g. "
        "check((0xC000000D, 0)).",
        (int(result.Status), result.Information),
        "No output or no input buffer is STATUS_INVALID_PARAMETER (0xC000000D); METHOD_IN_"
        "DIRECT reports the whole output buffer (the bytes the driver took from it); the other "
        "three report min(output size, 38), the driver's string with its NUL.",
        in_hex=True,
        prediction=True,
    )
