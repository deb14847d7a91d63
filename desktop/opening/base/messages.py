"""Messages by id, so that one failure can be told in each of the app's languages.

The core never raises an English sentence: it raises an id from :mod:`opening.base.message_catalog`
with the values that fill it in (``BadInput("text.too_long", chars=12, limit=10)``). ``str()`` of the
error is the English sentence (the CLI, the logs and the tests read that); the window renders the same
:class:`Message` in its current language, and again when the language changes. A value may itself be a
:class:`Message` (an operating-system reason inside "cannot read FILE: REASON"), rendered in the same
language.

Text that is already in the user's words (the window's own, or a library's message the app passes on)
goes in ``Message.verbatim``; it is the same in every language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opening.base.message_catalog import CATALOG as _CORE

CATALOG: dict[str, tuple[str, str]] = dict(_CORE)
"""The core's ids and those a package beside it added (:func:`add_messages`)."""

log = logging.getLogger(__name__)
LANGUAGES = ("en", "zh")
VERBATIM = "verbatim"
WINDOW = "window"
"""A message in the window's own words (rendered by the window; ``text`` is its English)."""


@dataclass(frozen=True)
class Message:
    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def verbatim(cls, text: str) -> Message:
        return cls(VERBATIM, {"text": text})

    def render(self, language: str = "en") -> str:
        """The sentence in ``language`` (English where the catalogue has no such language or id)."""
        entry = CATALOG.get(self.key)
        if entry is None:  # a test checks every id the code names; this only keeps a typo from crashing
            log.error("no message with the id %r", self.key)
            return " ".join([self.key, *(f"{k}={v}" for k, v in self.values.items())])
        template = entry[LANGUAGES.index(language)] if language in LANGUAGES else entry[0]
        values = {k: v.render(language) if isinstance(v, Message) else v for k, v in self.values.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError) as exc:  # a template and its call disagree: say it all
            log.error("message %r does not fit its values %r: %s", self.key, values, exc)
            return entry[0] + " " + repr(values)

    def __str__(self) -> str:
        return self.render("en")

    def to_json(self) -> dict[str, Any]:
        """A form that survives JSON (a verdict remembered on disk, a child process's answer)."""
        return {
            "key": self.key,
            "values": {k: v.to_json() if isinstance(v, Message) else _plain(v) for k, v in self.values.items()},
        }

    @classmethod
    def from_json(cls, data: object) -> Message:
        if isinstance(data, dict) and isinstance(data.get("key"), str) and isinstance(data.get("values"), dict):
            values = {str(k): cls.from_json(v) if isinstance(v, dict) else v for k, v in data["values"].items()}
            return cls(data["key"], values)
        return cls.verbatim(str(data))


def _plain(value: object) -> object:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def what_message(what: str | Message) -> Message:
    """A thing's name for a message: a catalogue id (``what.model_file``), or a name that is the same in
    every language (a file name such as ``tokenizer.model``)."""
    if isinstance(what, Message):
        return what
    return Message(what) if what in CATALOG else Message.verbatim(what)


def add_messages(catalog: dict[str, tuple[str, str]]) -> None:
    """A package beside the core (the converter, the trainer) adds its own ids at import."""
    clash = {k for k in catalog if k in CATALOG and CATALOG[k] != catalog[k]}
    if clash:
        raise ValueError(f"message ids defined twice: {sorted(clash)}")
    CATALOG.update(catalog)
