"""Every value a caller sends a data endpoint, declared once: its wire type, what it means, its default and what it
accepts. The declaration makes the endpoint's signature (Gradio turns it into the API page's types and the MCP tools'
schemas), the `Args:` of its docstring (their descriptions), and the check that runs before any task does: a wrong
value gets a message that names the parameter, shows what was sent (shortened, as JSON) and says what is accepted.

The check is the same for every protocol, because every protocol calls the same function: the page's deep links,
gradio_client, plain HTTP and MCP. Tasks keep their own checks of meaning (a label list too long, a layer the model
does not have); what is refused here is what no task could read.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from roberta_demo.errors import SURROGATE, InputError, shown
from roberta_demo.messages import Message, say

__all__ = [
    "REQUIRED",
    "Declaration",
    "Param",
    "choice",
    "number",
    "switch",
    "table",
    "text",
    "texts",
    "whole",
    "words",
    "wrong",
]

REQUIRED = inspect.Parameter.empty
Check = Callable[[str, Any], Any]  # (parameter name, value sent) → the value the endpoint gets; raises InputError


@dataclass(frozen=True)
class Param:
    """One parameter: `hint` is its type on the wire (for Gradio's schema), `meaning` its line in the docstring."""

    name: str
    hint: Any
    meaning: str
    check: Check
    default: Any = REQUIRED

    def value(self, sent: Any) -> Any:
        """The checked value; `None` (JSON's null) stands for the default where there is one."""
        if sent is None and self.default is not REQUIRED:
            sent = self.default
        return self.check(self.name, sent)

    def signature_part(self) -> inspect.Parameter:
        return inspect.Parameter(
            self.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=self.default, annotation=self.hint
        )


# A wrong value's message, from the parameter's name and the value as a message shows it (`errors.shown`).
Wrong = Callable[[str, str], Message]


def wrong(name: str, accepted: Wrong, value: Any) -> InputError:
    return InputError(accepted(name, shown(value)))


def _no_surrogate(name: str, value: str) -> str:
    """Text a tokenizer can read: a lone UTF-16 surrogate (JSON's "\\ud800") is not a character; no encoder takes it."""
    if found := SURROGATE.search(value):
        raise InputError(
            say(
                "{name} has a lone surrogate (U+{code}) at character {index}, which is not a character: send the text "
                "as valid Unicode.",
                name=name,
                code=f"{ord(found[0]):04X}",
                index=found.start() + 1,
            )
        )
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _a_string(name: str, given: str) -> Message:
    return say("{name} must be a string; it was {given}.", name=name, given=given)


def text(optional: bool = False) -> Check:
    """A string (or nothing, where `optional`: the endpoint gets None). Tasks check what is in it."""

    def check(name: str, value: Any) -> str | None:
        if value is None:
            return None if optional else ""
        if not isinstance(value, str):
            raise wrong(name, _a_string, value)
        return _no_surrogate(name, value)

    return check


def _strings(name: str, value: Any, accepted: Wrong) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise wrong(name, accepted, value)
    return [_no_surrogate(name, item) for item in value]


def words() -> Check:
    """Words or labels: a list of strings, or one comma-separated string; nothing is None."""

    def accepted(name: str, given: str) -> Message:
        return say(
            "{name} must be a list of strings or one comma-separated string; it was {given}.", name=name, given=given
        )

    def check(name: str, value: Any) -> str | list[str] | None:
        if value is None or isinstance(value, str):
            return value if value is None else _no_surrogate(name, value)
        return _strings(name, value, accepted)

    return check


def texts() -> Check:
    """Texts: a list of strings, or one string with a text per line."""

    def accepted(name: str, given: str) -> Message:
        return say(
            "{name} must be a list of strings or one string with a text per line; it was {given}.",
            name=name,
            given=given,
        )

    def check(name: str, value: Any) -> str | list[str]:
        if value is None or isinstance(value, str):
            return _no_surrogate(name, value or "")
        return _strings(name, value, accepted)

    return check


def whole(low: int, high: int | None = None, optional: bool = False) -> Check:
    """A whole number from `low` to `high` (JSON writes 3 as 3.0 at times: that is 3). Where `optional`, nothing is
    None."""

    def accepted(name: str, given: str) -> Message:
        values = {"name": name, "low": f"{low:,}", "given": given}
        if high is not None and optional:
            return say(
                "{name} must be a whole number from {low} to {high}, or null; it was {given}.",
                high=f"{high:,}",
                **values,
            )
        if high is not None:
            return say(
                "{name} must be a whole number from {low} to {high}; it was {given}.", high=f"{high:,}", **values
            )
        if optional:
            return say("{name} must be a whole number from {low} up, or null; it was {given}.", **values)
        return say("{name} must be a whole number from {low} up; it was {given}.", **values)

    def check(name: str, value: Any) -> int | None:
        if value is None and optional:
            return None
        if not _is_number(value) or not math.isfinite(value) or value != int(value):
            raise wrong(name, accepted, value)
        if not low <= value <= (math.inf if high is None else high):
            raise wrong(name, accepted, value)
        return int(value)

    return check


def number(low: float, high: float, above_low: bool = False) -> Check:
    """A finite number from `low` (or above it, where `above_low`) to `high`."""

    def accepted(name: str, given: str) -> Message:
        values = {"name": name, "low": f"{low:g}", "high": f"{high:g}", "given": given}
        if above_low:
            return say("{name} must be a number above {low} and at most {high}; it was {given}.", **values)
        return say("{name} must be a number from {low} to {high}; it was {given}.", **values)

    def check(name: str, value: Any) -> float:
        if not _is_number(value) or not math.isfinite(value):
            raise wrong(name, accepted, value)
        if not (low < value if above_low else low <= value) or value > high:
            raise wrong(name, accepted, value)
        return float(value)

    return check


def switch() -> Check:
    """true or false (JSON's booleans, not 0, 1 or "yes")."""

    def accepted(name: str, given: str) -> Message:
        return say("{name} must be true or false; it was {given}.", name=name, given=given)

    def check(name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise wrong(name, accepted, value)
        return value

    return check


def choice(options: Sequence[str]) -> Check:
    listed = ", ".join(json.dumps(option) for option in options)

    def accepted(name: str, given: str) -> Message:
        return say("{name} must be one of {options}; it was {given}.", name=name, options=listed, given=given)

    def check(name: str, value: Any) -> str:
        if value not in options or not isinstance(value, str):
            raise wrong(name, accepted, value)
        return value

    return check


def table(optional: bool = False) -> Check:
    """A table: {"headers": [...], "data": [[cell, ...], ...]} or a list of rows; each cell a string, a number or
    null. Tasks read its columns."""

    def accepted(name: str, given: str) -> Message:
        return say(
            '{name} must be a table {"headers": ["text", "label"], "data": [[text, label], ...]} or a list of [text, '
            "label] rows; it was {given}.",
            name=name,
            given=given,
        )

    def check(name: str, value: Any) -> Any:
        if value is None and optional:
            return None
        rows = value.get("data") if isinstance(value, dict) else value
        if not isinstance(rows, list) or not all(isinstance(row, (list, tuple)) for row in rows):
            raise wrong(name, accepted, value)
        for row in rows:
            for cell in row:
                if cell is not None and not isinstance(cell, (str, int, float)):
                    raise wrong(name, accepted, value)
                if isinstance(cell, str):
                    _no_surrogate(name, cell)
        return {"headers": ["text", "label"], "data": [list(row) for row in rows]}

    return check


@dataclass(frozen=True)
class Declaration:
    """An endpoint's parameters, its summary and what it returns: its docstring, its signature, its checked values."""

    params: tuple[Param, ...]
    summary: str
    returns: str
    returned: Any = field(default=dict)

    def docstring(self) -> str:
        lines = [self.summary, "", "Args:"]
        lines += [f"    {param.name}: {param.meaning}" for param in self.params]
        return "\n".join([*lines, "", "Returns:", f"    {self.returns}"])

    def signature(self) -> inspect.Signature:
        return inspect.Signature([param.signature_part() for param in self.params], return_annotation=self.returned)

    def values(self, endpoint: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            bound = self.signature().bind(*args, **kwargs)
        except TypeError:
            names = ", ".join(param.name for param in self.params)
            raise InputError(
                say(
                    "{endpoint} takes at most {count} values, in this order: {names}.",
                    endpoint=endpoint,
                    count=len(self.params),
                    names=names,
                )
            ) from None
        return {param.name: param.value(bound.arguments.get(param.name)) for param in self.params}
