"""The yearly PDFs and the dashboard read closed review cycles: the review tests' cycle fixtures, shared."""

from tests.reviews.conftest import open_cycle, rubric

__all__ = ["open_cycle", "rubric"]
