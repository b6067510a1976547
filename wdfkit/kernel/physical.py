"""Physical memory: which page frame backs each virtual page.

Every mapped virtual page is backed by a physical **page frame**, numbered by its PFN (page
frame number; physical address = PFN × PAGE_SIZE).  Pages that are neighbours in virtual memory
are usually *not* neighbours in physical memory: that is why a buffer needs an MDL (one PFN per
page) and why a device that does DMA needs a scatter/gather list.

Mirrors: the PFN database as MmGetMdlPfnArray reports it.
Simplified: a frame is handed out the first time anyone asks which frame backs a page, from a
seeded generator that gives out short runs of consecutive frames (1 to 3) at scattered places,
so a multi-page buffer shows both scattering and the occasional adjacent pair.  Frames never
move; there is no paging.  A frame is reused only when the scattered picks stop finding free
ones (the simulated RAM is nearly all handed out, as a long run of large direct-I/O requests
can make it): then the frames of pages that are no longer mapped are taken back and handed out
in order, so the host's cost stays bounded and nothing loops forever.
"""

import random

from .pool import PAGE_SHIFT, PAGE_SIZE

FIRST_PFN, LAST_PFN = 0x1000, 0x7FFFF  # frames 16 MB .. 2 GB: the RAM the simulator hands out


class PhysicalMemory:
    """The frame behind each virtual page, assigned lazily and deterministically."""

    def __init__(self, seed: int = 0x4D444C, mapped=None, frames=(FIRST_PFN, LAST_PFN)) -> None:
        self._rng = random.Random(seed)
        self.mapped = mapped
        """``mapped(page)``: whether a virtual page is still mapped (its frame is not free);
        without it, no frame is ever taken back."""
        self._first, self._last = frames
        self._next_free = self._first  # where the in-order search for a free frame goes on
        self._frame_of: dict[int, int] = {}  # virtual page number -> PFN
        self._page_of: dict[int, int] = {}  # PFN -> virtual page number
        self._run: list[int] = []  # frames left in the current run of consecutive frames
        self.reserved_mappings: dict[int, int] = {}  # MDL address -> its system mapping

    def pfn(self, page: int) -> int:
        """The PFN backing virtual page number *page* (address >> PAGE_SHIFT)."""
        frame = self._frame_of.get(page)
        if frame is None:
            if not self._run:
                self._run = self._new_run()
            frame = self._run.pop(0)
            self._frame_of[page], self._page_of[frame] = frame, page
        return frame

    def _new_run(self) -> list[int]:
        length = self._rng.choice((1, 1, 2, 2, 3))
        for _ in range(64):  # on a machine with frames to spare, the first pick or so succeeds
            start = self._rng.randrange(self._first, self._last - length)
            run = list(range(start, start + length))
            if not any(frame in self._page_of for frame in run):
                return run
        return [self._free_frame()]

    def _free_frame(self) -> int:
        """The next free frame in order, taking back the frames of unmapped pages if none is."""
        count = self._last - self._first
        for _ in range(2):
            for i in range(count):
                frame = self._first + (self._next_free - self._first + i) % count
                if frame not in self._page_of:
                    self._next_free = frame + 1
                    return frame
            self._reclaim()
        raise RuntimeError("PhysicalMemory: every page frame backs a page that is still mapped")

    def _reclaim(self) -> None:
        """Forget the frames of pages that are no longer mapped (their pool was freed)."""
        if self.mapped is None:
            return
        for page, frame in list(self._frame_of.items()):
            if not self.mapped(page):
                del self._frame_of[page], self._page_of[frame]

    def virtual_address(self, physical_address: int) -> int | None:
        """The system virtual address a physical address is mapped at, or None if unused."""
        page = self._page_of.get(physical_address >> PAGE_SHIFT)
        if page is None:
            return None
        return (page << PAGE_SHIFT) | (physical_address & (PAGE_SIZE - 1))
