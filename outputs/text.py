"""Hostile text made visible: ids and licenses are anybody's, and some outputs cannot hold (XML
1.0, Graphviz labels) or must not obey (a terminal) their control characters."""

from __future__ import annotations

import re

# C0/C1 controls (ANSI escapes start with ESC), the bidirectional overrides and isolates, which
# can make an id read as another, and the noncharacters U+FFFE/U+FFFF. XML 1.0 cannot hold most
# of C0 nor U+FFFE/U+FFFF at all, not even as &#1;.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def _escape(match: re.Match) -> str:
    ch = match.group(0)
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def visible(text: str, newlines: bool = False) -> str:
    """``text`` with control characters shown as escapes (``\\x01``, ``\\x1b``, ``\\u202e``);
    ``newlines``: keep line breaks, else they are ``\\n`` too. Every other character is kept."""
    text = UNSAFE.sub(_escape, text)
    return text if newlines else text.replace("\n", "\\n")
