"""Fixtures of the reliability tests: those that run the modules' own code in this process (test_faults.py,
test_hostile_input.py) share one botocore loader and the client methods of each model, as tests/unit does."""

# pylint: disable-next=unused-import
from ..unit.conftest import shared_botocore_loader  # noqa: F401 (an autouse fixture: imported, it applies here)
