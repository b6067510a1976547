"""Lesson 03's check-yourself problems (MDLs)."""

import random

from ..answers import COUNT, Several
from ..dma_examples import pool_buffer_dma
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    offset = rng.choice([0, 0x2A0, 0x800, 0xFF0])
    length = rng.choice([0x10, 0x1000, 0x1800, 0x2800, 0x3010])
    maximum = rng.choice([0x1000, 0x2000])
    run = pool_buffer_dma(offset, length, "scatter/gather", maximum)
    return Problem(
        label,
        f"A buffer starts 0x{offset:X} bytes into a page and is 0x{length:X} bytes long. How "
        f"many PFNs does its MDL hold, and into how many transfers does a scatter/gather DMA "
        f"enabler with MaximumLength 0x{maximum:X} cut it?",
        Several(COUNT, COUNT),
        (len(run.mdl.pfns), len(run.transfers)),
        "PFNs = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, length): count the pages the bytes touch, "
        "including a partial first and last page; transfers = length / MaximumLength, rounded "
        "up (physical scattering changes the elements per transfer, not the transfer count).",
    )


PROBLEMS = {"03-ex1": draw_ex1}
