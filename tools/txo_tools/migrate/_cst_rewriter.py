"""The libcst transformer behind :func:`txo_tools.migrate.code_rewrite.rewrite_source`.

Imported lazily (it imports libcst at module level).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from txo_tools.migrate.code_rewrite import (
    FOLDER_ARGUMENT,
    FOLDER_KEYWORDS,
    FOREIGN_RECEIVERS,
    KNOWN_MODULES,
    PARSE_FUNCTIONS,
    RENAMED_NAMES,
    SAVE_EXTENSIONS,
    folder_constant,
)

_CODE = cst.Module([])
PATH_HELPERS = "txo_runtime.path_helpers"
_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def _code(node: cst.CSTNode) -> str:
    return " ".join(_CODE.code_for_node(node).split())


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def imports_utils(module: cst.Module) -> bool:
    """True when the file imports a vendored v2.1 helper (``utils.x``)."""
    for node in m.findall(module, m.ImportFrom() | m.Import()):
        if isinstance(node, cst.ImportFrom) and node.relative == ():
            name = _dotted(node.module)
            if name.split(".")[0] == "utils" and _known_utils_import(node):
                return True
        if isinstance(node, cst.Import) and any(
            _dotted(a.name).startswith("utils.") for a in node.names
        ):
            return True
    return False


def _known_utils_import(node: cst.ImportFrom) -> bool:
    parts = _dotted(node.module).split(".")
    if len(parts) > 1:
        return parts[1] in KNOWN_MODULES
    if isinstance(node.names, cst.ImportStar):
        return False
    return all(_dotted(alias.name) in KNOWN_MODULES for alias in node.names)


class LegacyRewriter(VisitorBasedCodemodCommand):
    """Applies every v2.1 -> v3.0 code change to one legacy module."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: cst.codemod.CodemodContext) -> None:
        super().__init__(context)
        self.changes: list[tuple[int, str, str]] = []
        self.follow_ups: list[tuple[int, str]] = []
        self._renames: dict[str, str] = {}
        self._needs_dir = False

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    # imports -----------------------------------------------------------------------------
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        """Import ``Dir`` where the module already imports from ``txo_runtime.path_helpers``;
        a new import line only when it does not (AddImportsVisitor alone adds a second one
        when the existing import sits below ``sys.path.insert``)."""
        if not self._needs_dir:
            return updated_node
        body = list(updated_node.body)
        for index, statement in enumerate(body):
            merged = _with_dir(statement)
            if merged is not None:
                body[index] = merged
                return updated_node.with_changes(body=body)
        AddImportsVisitor.add_needed_import(self.context, PATH_HELPERS, "Dir")
        return updated_node

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if original_node.relative or _dotted(original_node.module).split(".")[0] != "utils":
            return updated_node
        if not _known_utils_import(original_node):
            self.follow_ups.append(
                (
                    self._line(original_node),
                    f"`{_code(original_node)}` imports your own "
                    "module from utils/: it stays; move it into src/ when convenient",
                )
            )
            return updated_node
        module = updated_node.module
        if isinstance(module, cst.Name):
            module = cst.Name("txo_runtime")
        else:
            assert isinstance(module, cst.Attribute)
            module = module.with_changes(value=cst.Name("txo_runtime"))
        new = updated_node.with_changes(module=module, names=self._rename_aliases(updated_node))
        self.changes.append(
            (self._line(original_node), "import", f"`{_code(original_node)}` -> `{_code(new)}`")
        )
        return new

    def _rename_aliases(self, node: cst.ImportFrom) -> Sequence[cst.ImportAlias] | cst.ImportStar:
        if isinstance(node.names, cst.ImportStar):
            return node.names
        aliases, seen = [], set()
        for alias in node.names:
            name = _dotted(alias.name)
            if name == "parse_custom_args_and_load_config":
                name = "parse_args_and_load_config"
            if name in RENAMED_NAMES:
                if alias.asname is None:
                    self._renames[name] = RENAMED_NAMES[name]
                name = RENAMED_NAMES[name]
            if (name, _code(alias.asname) if alias.asname else "") in seen:
                continue
            seen.add((name, _code(alias.asname) if alias.asname else ""))
            aliases.append(alias.with_changes(name=cst.Name(name)))
        aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return aliases

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        if updated_node is not original_node and _code(updated_node) != _code(original_node):
            self.changes.append(
                (
                    self._line(original_node),
                    "import",
                    f"`{_code(original_node)}` -> `{_code(updated_node)}`",
                )
            )
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        if m.matches(updated_node.value, m.Name("utils")) and (
            updated_node.attr.value in KNOWN_MODULES
        ):
            return updated_node.with_changes(value=cst.Name("txo_runtime"))
        if updated_node.attr.value in RENAMED_NAMES and m.matches(
            updated_node.value, m.Attribute(attr=m.Name("rest_api_helpers"))
        ):
            new_name = RENAMED_NAMES[updated_node.attr.value]
            self._note_rename(original_node, updated_node.attr.value, new_name)
            return updated_node.with_changes(attr=cst.Name(new_name))
        return updated_node

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new_name = self._renames.get(updated_node.value)
        if new_name is None:
            return updated_node
        self._note_rename(original_node, updated_node.value, new_name)
        return updated_node.with_changes(value=new_name)

    def _note_rename(self, node: cst.CSTNode, old: str, new: str) -> None:
        self.changes.append((self._line(node), "rename", f"`{old}` -> `{new}`"))

    # calls -------------------------------------------------------------------------------
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else _dotted(func)
        receiver = _dotted(func.value) if isinstance(func, cst.Attribute) else ""
        line = self._line(original_node)
        if name in PARSE_FUNCTIONS:
            return self._fix_parse_call(updated_node, name, line)
        if name not in FOLDER_ARGUMENT or receiver in FOREIGN_RECEIVERS:
            return updated_node
        updated_node = self._fix_folder(updated_node, name, line)
        if name in SAVE_EXTENSIONS and isinstance(func, cst.Attribute):
            self._check_save_name(updated_node, name, line)
            self.changes.append((line, "save", f"`{name}(...)` -> `save(...)`"))
            updated_node = updated_node.with_changes(func=func.with_changes(attr=cst.Name("save")))
        return updated_node

    def _fix_parse_call(self, call: cst.Call, name: str, line: int) -> cst.Call:
        from txo_tools.migrate._cst_args import append_kwarg, remove_arg

        args = list(call.args)
        if name == "parse_custom_args_and_load_config":
            args = _keywordize(args, ["description", "extra_args", "require_token"])
            call = call.with_changes(func=_renamed_func(call.func, "parse_args_and_load_config"))
            self.changes.append(
                (
                    line,
                    "rename",
                    f"`{name}(...)` -> `parse_args_and_load_config(..., extra_args=...)`",
                )
            )
        positional = [a for a in args if a.keyword is None and not a.star]
        needs_token = _keyword_index(args, "require_token") is None and len(positional) < 2
        needs_token = needs_token and not any(a.star for a in args)
        index = _keyword_index(args, "validate_config")
        if index is not None:
            self.changes.append(
                (
                    line,
                    "validate_config",
                    "removed `validate_config=` (v3.0 always validates the config)",
                )
            )
        if index is not None and needs_token:  # reuse its place: the layout stays as it was
            args[index] = args[index].with_changes(
                keyword=cst.Name("require_token"), value=cst.Name("True")
            )
        elif index is not None:
            args = remove_arg(args, index)
        elif needs_token:
            args = append_kwarg(args, "require_token", cst.Name("True"))
        if needs_token:
            self.changes.append(
                (
                    line,
                    "require_token",
                    "added `require_token=True` (v2.1 fetched a token by default; v3.0 does not)",
                )
            )
        return call.with_changes(args=args)

    def _fix_folder(self, call: cst.Call, name: str, line: int) -> cst.Call:
        args = list(call.args)
        index = _folder_index(args, FOLDER_ARGUMENT[name])
        if index is None:
            return call
        value = args[index].value
        if m.matches(value, m.Attribute(value=m.Name("Dir"))):
            return call
        literal = value.evaluated_value if isinstance(value, cst.SimpleString) else None
        member = folder_constant(literal)
        if member is None:
            kind = "folder" if literal is not None else "dynamic folder"
            what = f"{kind} `{_code(value)}`"
            self.follow_ups.append(
                (
                    line,
                    f"{what} in `{name}(...)`: use a Dir constant "
                    "(from txo_runtime.path_helpers import Dir)",
                )
            )
            return call
        new_value = cst.Attribute(value=cst.Name("Dir"), attr=cst.Name(member.name))
        args[index] = args[index].with_changes(value=new_value)
        self._needs_dir = True
        self.changes.append((line, "folder", f"{_code(value)} -> `Dir.{member.name}` in `{name}`"))
        return call.with_changes(args=args)

    def _check_save_name(self, call: cst.Call, name: str, line: int) -> None:
        index = _folder_index(list(call.args), 2, keywords={"filename", "file_name"})
        value = call.args[index].value if index is not None else None
        ending = _literal_ending(value) if value is not None else None
        expected = SAVE_EXTENSIONS[name]
        if ending is None or not ending.lower().endswith(expected):
            shown = _code(value) if value is not None else "the file name"
            self.follow_ups.append(
                (
                    line,
                    f"`{name}` became `save`, which picks the writer from "
                    f"the extension: make sure {shown} ends with {expected[0]}",
                )
            )


def _with_dir(statement: _Statement) -> _Statement | None:
    """``statement`` with ``Dir`` added, when it is a one-line ``from
    txo_runtime.path_helpers import ...``; None for any other statement (a parenthesized
    import gets a new line instead: cosmetic only, not worth re-flowing)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    node = statement.body[0]
    if not isinstance(node, cst.ImportFrom) or node.relative or node.lpar is not None:
        return None
    if _dotted(node.module) != PATH_HELPERS:
        return None
    if isinstance(node.names, cst.ImportStar):
        return statement  # ``*`` already brings Dir
    if any(_dotted(a.name) == "Dir" and a.asname is None for a in node.names):
        return statement
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    names = [*node.names[:-1], node.names[-1].with_changes(comma=comma)]
    names.append(cst.ImportAlias(name=cst.Name("Dir")))
    return statement.with_changes(body=[node.with_changes(names=names)])


def _folder_index(
    args: list[cst.Arg], position: int, keywords: set[str] = FOLDER_KEYWORDS
) -> int | None:
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value in keywords:
            return index
    positional = [i for i, a in enumerate(args) if a.keyword is None and not a.star]
    return positional[position] if len(positional) > position else None


def _keyword_index(args: list[cst.Arg], keyword: str) -> int | None:
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return index
    return None


def _literal_ending(value: cst.BaseExpression) -> str | None:
    if isinstance(value, cst.SimpleString):
        evaluated = value.evaluated_value
        return evaluated if isinstance(evaluated, str) else None
    if isinstance(value, cst.FormattedString) and value.parts:
        last = value.parts[-1]
        return last.value if isinstance(last, cst.FormattedStringText) else None
    if isinstance(value, cst.ConcatenatedString):
        return _literal_ending(value.right)
    return None


def _keywordize(args: list[cst.Arg], names: list[str]) -> list[cst.Arg]:
    """Give positional arguments (after the first) their keyword names."""
    out = []
    for index, arg in enumerate(args):
        if 0 < index < len(names) and arg.keyword is None and not arg.star:
            arg = arg.with_changes(
                keyword=cst.Name(names[index]),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
        out.append(arg)
    return out


def _renamed_func(func: cst.BaseExpression, new: str) -> cst.BaseExpression:
    if isinstance(func, cst.Attribute):
        return func.with_changes(attr=cst.Name(new))
    return cst.Name(new)
