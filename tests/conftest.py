import matplotlib
import pytest

matplotlib.use("Agg")

from wdfkit import Machine  # noqa: E402
from wdfkit.sim.machine import current_machine  # noqa: E402


@pytest.fixture
def machine():
    """A fresh machine with Verifier on, current for the whole test."""
    with Machine("Toaster") as m:
        yield m


def pytest_collectstart(collector):
    # Notebook warnings print a temp-file path that changes every run: compare stdout only.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


@pytest.fixture
def nothing_activated():
    """No activated machine during the test; whatever was activated comes back after it."""
    try:
        activated = current_machine()
    except RuntimeError:
        activated = None
    if activated is not None:
        activated.deactivate()
    yield
    if activated is not None:
        activated.activate()
