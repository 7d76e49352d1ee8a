"""Tests that document an upstream bug our code works around: they check how it still breaks,
and when it no longer does they report it (a warning in pytest's summary) instead of failing,
since upstream's fix is news to act on, not a fault of ours."""

import warnings


class UpstreamFixed(UserWarning):
    """An upstream bug that a workaround of ours exists for no longer shows."""


def still_broken(broken: bool, issue: str, then: str) -> bool:
    """`broken` as given; when False, a warning naming `issue` and what can `then` change."""
    if not broken:
        warnings.warn(UpstreamFixed(f"{issue} no longer shows: {then}"), stacklevel=2)
    return broken
