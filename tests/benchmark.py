"""Speed and memory figures, each printed beside a floor measured in the same run."""

import resource
import subprocess
import sys
import time

from wdfkit import Machine, NonPagedPoolNx, WdfMemoryCreate, WdfObjectDelete


def rate(body, n: int) -> float:
    start = time.perf_counter()
    body(n)
    return n / (time.perf_counter() - start)


def wdf_pairs(n: int) -> None:
    for _ in range(n):
        _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
        WdfObjectDelete(memory)


def floor_pairs(n: int) -> None:
    table = {}
    for i in range(n):
        table[i] = object()
        del table[i]


def main() -> None:
    code = "import time,sys; t=time.perf_counter(); import wdfkit; "
    code += "print(time.perf_counter()-t, 'matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    seconds, mpl, ipw = out.split()
    print(f"import wdfkit: {float(seconds):.3f} s (matplotlib loaded: {mpl}, ipywidgets: {ipw})")
    with Machine(verifier=False):
        wdf = rate(wdf_pairs, 50_000)
    with Machine(verifier=True):
        wdf_v = rate(wdf_pairs, 50_000)
    floor = rate(floor_pairs, 500_000)
    print(
        f"WdfMemoryCreate+WdfObjectDelete: {wdf:,.0f} pairs/s (Verifier off), "
        f"{wdf_v:,.0f} pairs/s (Verifier on); floor {floor:,.0f}/s; ratio {floor / wdf:.1f}x"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Machine(verifier=False):
        wdf_pairs(1_000_000)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"1,000,000 pairs: peak RSS growth {growth:.1f} MB")


if __name__ == "__main__":
    main()
