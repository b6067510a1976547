import matplotlib
import pytest

matplotlib.use("Agg")

from wdfkit import Machine  # noqa: E402


@pytest.fixture
def machine():
    """A fresh machine with Verifier on, current for the whole test."""
    with Machine("Toaster") as m:
        yield m


def pytest_collectstart(collector):
    # Notebook warnings print a temp-file path that changes every run: compare stdout only.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
