"""Adding and removing call arguments without breaking the call's layout (libcst).

libcst keeps each argument's comma and the whitespace around it; removing the last
argument must hand its trailing whitespace (the newline before ``)``) to the new last one,
and appending must reuse the separator style of the call, or multi-line calls end up with
a dangling comma or a misplaced ``)``.
"""

from __future__ import annotations

import libcst as cst


def remove_arg(args: list[cst.Arg], index: int) -> list[cst.Arg]:
    removed = args[index]
    rest = args[:index] + args[index + 1 :]
    if index == len(args) - 1 and index > 0:
        rest[-1] = rest[-1].with_changes(
            comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg
        )
    return rest


def append_kwarg(args: list[cst.Arg], keyword: str, value: cst.BaseExpression) -> list[cst.Arg]:
    new = cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    if not args:
        return [new]
    last = args[-1]
    separator = _separator(args)
    if isinstance(last.comma, cst.Comma):  # trailing-comma style: keep it at the end
        new = new.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
        last = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    else:
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
        last = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    return [*args[:-1], last, new]


def _separator(args: list[cst.Arg]) -> cst.Comma:
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        return args[-2].comma
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
