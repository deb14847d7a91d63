"""Conversion failures, each a one-line message for the user."""

from opening.base.errors import OpeningError


class ConvertError(OpeningError):
    """The checkpoint cannot be converted as it is (the message says why)."""
