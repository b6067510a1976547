"""Frozen snapshots of a machine: what views, plots, widgets and problems are allowed to read.

Like the bitfields KMDF keeps "strictly for use by the debugger extension", a snapshot copies
the state a tool shows, so the display layer never reaches into live objects.  A snapshot holds
numbers, enums and tuples, never display text: each view, plot and problem builds its own.

Plain data at the bottom of wdfkit: this module imports nothing from the simulation, which
produces these records (``Machine.snapshot()``, ``Timeline.snapshot()``, the balance-set
manager's history, ``kernel.mdl.snapshot``).
"""

from dataclasses import dataclass
from enum import Enum, IntEnum


class ObjectState(Enum):
    """FxObjectState: where an object is in its life (values as the IFR log names them)."""

    Created = "FxObjectStateCreated"
    Disposed = "FxObjectStateDisposed"
    DeletedDisposing = "FxObjectStateDeletedDisposing"
    DeletedAndDisposed = "FxObjectStateDeletedAndDisposed"
    Destroyed = "FxObjectStateDestroyed"


# -- what a framework object is: one typed detail per kind ------------------------------------


@dataclass(frozen=True)
class DriverDetail:
    """A WDFDRIVER: the driver's service name."""

    name: str


class DeviceIoType(IntEnum):
    """WDF_DEVICE_IO_TYPE: how reads and writes reach the driver's buffers."""

    Buffered = 1
    Neither = 2
    Direct = 3


@dataclass(frozen=True)
class DeviceDetail:
    """A WDFDEVICE: its buffering method for reads and writes; whether it is a control
    (non-PnP) device, its name in the object namespace, whether its removal has begun."""

    io_type: DeviceIoType
    control: bool = False
    name: str | None = None
    removed: bool = False


class QueueDispatch(IntEnum):
    """WDF_IO_QUEUE_DISPATCH_TYPE."""

    Sequential = 1
    Parallel = 2
    Manual = 3


@dataclass(frozen=True)
class QueueDetail:
    """A WDFQUEUE: dispatch type, whether it is the default queue, requests with the driver."""

    dispatch: QueueDispatch
    default: bool
    presented: int


@dataclass(frozen=True)
class RequestDetail:
    """A WDFREQUEST: from a queue or created by the driver, its IRP's major function (None
    before it is formatted), and the references its memory objects hold on the IRP."""

    from_queue: bool
    major: int | None
    irp_refs: int


class MemoryKind(Enum):
    """Which FxMemoryObject a WDFMEMORY is (fxmemorybuffer*.cpp, fxrequestmemory.cpp)."""

    EMBEDDED = "embedded"  # FxMemoryBuffer: the buffer right after the object
    POOL = "pool"  # FxMemoryBufferFromPool: the buffer in a block of its own
    PREALLOCATED = "preallocated"  # FxMemoryBufferPreallocated: the caller's buffer
    LOOKASIDE = "lookaside"  # FxMemoryBufferFromLookaside: entries of a WDFLOOKASIDE
    REQUEST = "request"  # FxRequestMemory: a request's input or output buffer


@dataclass(frozen=True)
class MemoryDetail:
    """A WDFMEMORY: which kind, whether it owns its buffer, where the buffer is and how big.

    *tag* is the pool tag it was created with; *lookaside* the WDFLOOKASIDE handle value it
    came from (else None).
    """

    kind: MemoryKind
    owns_buffer: bool
    buffer: int
    size: int
    tag: str
    lookaside: int | None = None


class RequestBuffer(Enum):
    """Which of a request's buffers a request memory object describes."""

    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True)
class RequestMemoryDetail:
    """A request's input or output WDFMEMORY: its buffer (None: the IRP has none) and size."""

    which: RequestBuffer
    buffer: int | None
    size: int
    read_only: bool


class LookasideShape(Enum):
    """The FxLookasideList class KMDF picks for a WDFLOOKASIDE."""

    NPAGED = "FxNPagedLookasideList"
    NPAGED_FROM_POOL = "FxNPagedLookasideListFromPool"
    PAGED_FROM_POOL = "FxPagedLookasideListFromPool"


@dataclass(frozen=True)
class LookasideDetail:
    """A WDFLOOKASIDE: its shape, buffer size, pool tag and number of kernel lists."""

    shape: LookasideShape
    buffer_size: int
    tag: str
    kernel_lists: int


class IoTargetState(IntEnum):
    """WDF_IO_TARGET_STATE."""

    Started = 1
    Stopped = 2
    ClosedForQueryRemove = 3
    Closed = 4
    Deleted = 5


@dataclass(frozen=True)
class IoTargetDetail:
    """A WDFIOTARGET: remote or a device's default target, its state, the device it sends to
    (None: nothing)."""

    remote: bool
    state: IoTargetState
    sends_to: str | None


@dataclass(frozen=True)
class DmaEnablerDetail:
    """A WDFDMAENABLER: scatter/gather or packet, its maximum transfer, chained-MDL support."""

    scatter_gather: bool
    maximum_length: int
    chained_mdls: bool


class DmaTransactionState(IntEnum):
    """FxDmaTransactionState, as KMDF numbers it."""

    Invalid = 0
    Created = 1
    Reserved = 2
    Initialized = 3
    Transfer = 4
    TransferCompleted = 5
    TransferFailed = 6
    Released = 7
    Deleted = 8


@dataclass(frozen=True)
class DmaTransactionDetail:
    """A WDFDMATRANSACTION: its state and how many of its bytes are transferred."""

    state: DmaTransactionState
    transferred: int
    length: int


@dataclass(frozen=True)
class TimerDetail:
    """A WDFTIMER: its period in ms (0: one-shot), whether EvtTimerFunc runs at PASSIVE_LEVEL,
    whether the kernel timer is set and when it is due (seconds since boot), how often it
    expired."""

    period_ms: int
    passive: bool
    set: bool
    due: float | None
    fired: int


ObjectDetail = (
    DriverDetail
    | DeviceDetail
    | QueueDetail
    | RequestDetail
    | MemoryDetail
    | RequestMemoryDetail
    | LookasideDetail
    | IoTargetDetail
    | DmaEnablerDetail
    | DmaTransactionDetail
    | TimerDetail
)


@dataclass(frozen=True)
class ObjectSnapshot:
    """One framework object as ``!wdfhandle`` would show it.

    *handle* and *parent* are handle values (the object's address XOR ``~0x7``, fx/handles.py);
    *type_name* is the handle's type (``WDFMEMORY``); *detail* what this kind of object holds
    (None for a plain WDFOBJECT).  *refcnt* is None for an object embedded in another (a
    request's input or output memory): it has no count of its own, and is listed under the
    object that contains it.
    """

    handle: int
    type_name: str
    address: int
    refcnt: int | None
    state: ObjectState
    parent: int | None
    depth: int
    detail: ObjectDetail | None


# -- pool ---------------------------------------------------------------------------------


class BlockHolds(Enum):
    """What a framework pool block holds, as far as a framework object says."""

    UNKNOWN = "unknown"  # no framework object claims it (the driver's own pool, IRP blocks…)
    DRIVER_GLOBALS = "driver globals"  # FX_DRIVER_GLOBALS
    OBJECT = "object"  # a framework object
    OBJECT_AND_BUFFER = "object and buffer"  # a memory object with its buffer right after it
    BUFFER = "buffer"  # a memory object's buffer, in a block of its own


@dataclass(frozen=True)
class BlockSnapshot:
    """One live pool block; *holds* says what is in it, *object_type* whose (a handle type)."""

    address: int
    size: int
    tag: str
    paged: bool
    owner: str
    holds: BlockHolds = BlockHolds.UNKNOWN
    object_type: str | None = None


@dataclass(frozen=True)
class TagSnapshot:
    """One row of ``!poolused``: per tag and pool."""

    tag: str
    paged: bool
    allocs: int
    frees: int
    bytes_in_use: int


# -- lookaside lists ----------------------------------------------------------------------


@dataclass(frozen=True)
class LookasideSnapshot:
    """One kernel lookaside list's GENERAL_LOOKASIDE counters, as ``!lookaside`` shows them.

    *name* is the label the list was created with; *held* counts the free blocks on its stack.
    """

    name: str
    pool_type: int
    paged: bool
    tag: str
    size: int
    depth: int
    maximum_depth: int
    held: int
    in_use: int
    total_allocates: int
    allocate_misses: int
    total_frees: int
    free_misses: int


@dataclass(frozen=True)
class LookasideSecond:
    """One list at the end of one virtual second, after that second's tick."""

    second: int
    name: str
    scanned: bool
    """Whether this tick re-tuned the list."""
    depth: int
    held: int
    in_use: int
    allocates: int
    misses: int
    frees: int
    free_misses: int
    peak_in_use: int
    """Most blocks the driver had at once during the second (a burst's size)."""


@dataclass(frozen=True)
class BalanceSnapshot:
    """The balance-set manager: its lists now, the seconds it has ticked, each list's seconds
    (the last 65,536 rows: the manager's history is a ring, see kernel.lookaside)."""

    seconds: int
    lists: tuple[LookasideSnapshot, ...]
    history: tuple[LookasideSecond, ...]

    def seconds_of(self, name: str) -> tuple[LookasideSecond, ...]:
        """The history of the list named *name*, second by second."""
        return tuple(row for row in self.history if row.name == name)


# -- MDLs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MdlSnapshot:
    """An MDL's fields, read once: what views and plots draw.

    *flag_names* are the names of the MdlFlags bits that are set (wdm.h's MDL_* names).
    """

    address: int
    next: int
    size: int
    start_va: int
    byte_offset: int
    byte_count: int
    flags: int
    flag_names: tuple[str, ...]
    mapped_system_va: int
    pfns: tuple[int, ...]


# -- the lifetime timeline ----------------------------------------------------------------


class LifetimeKind(Enum):
    """What a timeline row follows."""

    REQUEST = "request"
    MEMORY = "memory"
    BUFFER = "buffer"
    REFERENCE = "reference"


@dataclass(frozen=True)
class LifetimeSnapshot:
    """One lifetime on the timeline: its label, kind, the step it began, the picture's line it
    is drawn on, the step it ended (None: still alive) and how, and the steps that touched it."""

    label: str
    kind: LifetimeKind
    start: int
    line: int
    end: int | None
    end_text: str
    marks: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class TimelineEvent:
    """One recorded event: its step, virtual time, the label of its row, what happened."""

    step: int
    seconds: float
    label: str
    text: str


@dataclass(frozen=True)
class TimelineSnapshot:
    """The recorded lifetimes of one machine.

    *lines* are the picture's line labels, one per thing followed; *crash_step* is the step of
    the bug check (None: none), *crash_code* and *crash_name* its code and name; *full* says
    whether recording stopped after *limit* events.
    """

    rows: tuple[LifetimeSnapshot, ...]
    lines: tuple[str, ...]
    events: tuple[TimelineEvent, ...]
    crash_step: int | None
    crash_code: int | None
    crash_name: str
    full: bool
    limit: int


# -- the machine --------------------------------------------------------------------------


class MachineState(Enum):
    """Whether a machine still runs DDIs."""

    RUNNING = "running"
    CRASHED = "crashed"
    UNLOADED = "unloaded"
    STOPPED = "stopped"  # a Python exception escaped a driver callback


@dataclass(frozen=True)
class LogEntry:
    """One line of the framework log: virtual time, IRQL, the message."""

    seconds: float
    irql: int
    message: str


@dataclass(frozen=True)
class MachineSnapshot:
    """The whole machine at one instant.

    *bugcheck* is the stopped machine's blue screen, as the bug check renders it (None while
    it runs); *timeline* the recorded lifetimes (None when the machine records none).
    """

    driver_name: str
    driver_tag: str
    kmdf_verifier: bool
    driver_verifier: bool
    state: MachineState
    seconds: float
    irql: int
    objects: tuple[ObjectSnapshot, ...]
    blocks: tuple[BlockSnapshot, ...]
    tags: tuple[TagSnapshot, ...]
    balance: BalanceSnapshot
    log: tuple[LogEntry, ...]
    bugcheck: str | None
    timeline: TimelineSnapshot | None

    def bytes_by_tag(self) -> dict[str, int]:
        """Bytes in use per tag, both pools together."""
        out: dict[str, int] = {}
        for row in self.tags:
            out[row.tag] = out.get(row.tag, 0) + row.bytes_in_use
        return out
