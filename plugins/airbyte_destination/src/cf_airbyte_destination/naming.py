"""Identifier rules of a profile: sanitising, case folding, truncation, quoting, literals.

The generated Kotlin ``NamingUtils`` implements the same four rules in the same order, so a name
the Python SQL generator uses is the name the connector creates:

1. every character outside ``[A-Za-z0-9_]`` becomes ``_``;
2. a leading digit gets a ``_`` prefix; an empty result becomes ``_``;
3. the profile's case rule (``lower``, ``upper`` or ``preserve``);
4. truncation to ``identifiers.max_length`` characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cf_airbyte_destination.profile import Profile

_NOT_WORD = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class Names:
    """Identifier helpers for one profile.

    Args:
        quote: the identifier quote character (``"`` or a backtick).
        case: ``lower``, ``upper`` or ``preserve``.
        max_length: longest identifier the database accepts, in characters.
        backslash_escapes: string literals treat ``\\`` as an escape (MySQL).
    """

    quote: str
    case: str
    max_length: int
    backslash_escapes: bool = False

    @classmethod
    def for_profile(cls, profile: Profile) -> Names:
        """Names for ``profile`` (``unknown`` answers fall back to ``"``/preserve)."""
        quote = profile.identifiers.quote if profile.identifiers.quote != "unknown" else '"'
        case = profile.identifiers.case if profile.identifiers.case != "unknown" else "preserve"
        return cls(quote=quote, case=case, max_length=profile.identifiers.max_length,
                   backslash_escapes=profile.dialect in ("mysql", "clickhouse"))

    def normalize(self, name: str) -> str:
        """``name`` made a valid identifier by the four rules of the module docstring."""
        text = _NOT_WORD.sub("_", name)
        if not text:
            text = "_"
        elif text[0].isdigit():
            text = "_" + text
        if self.case == "lower":
            text = text.lower()
        elif self.case == "upper":
            text = text.upper()
        return text[: self.max_length]

    def quoted(self, identifier: str) -> str:
        """``identifier`` in quotes, embedded quote characters doubled."""
        q = self.quote
        return q + identifier.replace(q, q + q) + q

    def column(self, name: str) -> str:
        """The quoted database column for the Airbyte field ``name``."""
        return self.quoted(self.normalize(name))

    def table(self, namespace: str, name: str) -> str:
        """The quoted, qualified table ``namespace.name`` (both normalized)."""
        return f"{self.quoted(self.normalize(namespace))}.{self.quoted(self.normalize(name))}"

    def literal(self, value: str) -> str:
        """``value`` as a SQL string literal."""
        text = value.replace("\\", "\\\\") if self.backslash_escapes else value
        return "'" + text.replace("'", "''") + "'"
