"""Line numbers for JSON paths, so a finding can say ``config/acme-prod-config.json:12``.

The standard ``json`` module keeps no positions. Rather than add a dependency for every
customer install, this walks the already-valid text once, reusing ``json``'s own decoder
(``raw_decode``) for keys and scalars so escaping rules stay exactly the
standard library's, and records the line where each object key (or array item) starts.
"""

from __future__ import annotations

import json

__all__ = ["JsonPath", "json_line_index", "line_of"]

JsonPath = tuple[str | int, ...]
_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


class _Scanner:
    """Recursive descent over valid JSON text, recording ``path -> line``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[JsonPath, int] = {(): 1}

    def line_at(self, index: int) -> int:
        return self.text.count("\n", 0, index) + 1

    def skip(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in _WHITESPACE:
            index += 1
        return index

    def value(self, index: int, path: JsonPath) -> int:
        index = self.skip(index)
        char = self.text[index]
        if char == "{":
            return self.obj(index + 1, path)
        if char == "[":
            return self.array(index + 1, path)
        _, end = _DECODER.raw_decode(self.text, index)
        return end

    def obj(self, index: int, path: JsonPath) -> int:
        index = self.skip(index)
        if self.text[index] == "}":
            return index + 1
        while True:
            index = self.skip(index)
            key_start = index
            key, index = _DECODER.raw_decode(self.text, index)
            child: JsonPath = (*path, key)
            self.lines[child] = self.line_at(key_start)
            index = self.skip(index) + 1  # the ':'
            index = self.skip(self.value(index, child))
            if self.text[index] == "}":
                return index + 1
            index += 1  # the ','

    def array(self, index: int, path: JsonPath) -> int:
        index = self.skip(index)
        if self.text[index] == "]":
            return index + 1
        position = 0
        while True:
            index = self.skip(index)
            item: JsonPath = (*path, position)
            self.lines[item] = self.line_at(index)
            index = self.skip(self.value(index, item))
            if self.text[index] == "]":
                return index + 1
            index += 1
            position += 1


def json_line_index(text: str) -> dict[JsonPath, int]:
    """Map every path in the JSON document ``text`` to the line its key/item starts on.

    ``text`` must be valid JSON (parse it with ``json.loads`` first for a good error).
    """
    scanner = _Scanner(text)
    scanner.value(0, ())
    return scanner.lines


def line_of(index: dict[JsonPath, int], path: JsonPath) -> int:
    """Line of ``path``, or of its nearest ancestor that exists (a missing key's parent)."""
    while path not in index:
        path = path[:-1]
    return index[path]
