"""The files people upload, read as a spreadsheet or an editor writes them: UTF-8 with or without a byte-order mark,
UTF-16 with one, any line ending, fields as long as the upload limit lets a file be. Anything else is refused by
the file's name, with the line and the reason."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from roberta_demo.errors import InputError, shown
from roberta_demo.messages import Message, say

__all__ = ["Row", "Upload", "at_line", "csv_rows", "decoded"]

# The byte-order marks read, longest first: UTF-32's begins with UTF-16's.
_UTF32 = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class Upload:
    """An uploaded file: the name it came with (for messages) and its bytes."""

    name: str
    content: bytes

    @property
    def shown_name(self) -> str:
        return shown(PurePath(self.name).name or "the file")

    @property
    def suffix(self) -> str:
        return PurePath(self.name).suffix.lower()


@dataclass(frozen=True)
class Row:
    """A row of a CSV file, with the line it starts on (for messages)."""

    line: int
    cells: list[str]


def decoded(upload: Upload) -> str:
    """The file's text, its line endings made `\\n`; an `InputError` naming the file where it is not text."""
    content, name = upload.content, upload.shown_name
    if not content.strip():
        raise InputError(say("{file} is empty: there is nothing to read in it.", file=name))
    if content.startswith(_UTF32):
        raise InputError(
            say(
                "{file} is UTF-32 text: save it as UTF-8 (“CSV UTF-8” in a spreadsheet) and upload it again.", file=name
            )
        )
    bom, codec = next(((bom, codec) for bom, codec in _BOMS if content.startswith(bom)), (b"", "utf-8"))
    if not bom and b"\x00" in content:
        raise InputError(
            say(
                "{file} has NUL bytes: it is binary, or UTF-16 without a byte-order mark; save it as UTF-8 (“CSV "
                "UTF-8” in a spreadsheet) and upload it again.",
                file=name,
            )
        )
    try:
        text = content[len(bom) :].decode(codec)
    except UnicodeDecodeError as error:
        offset = len(bom) + error.start
        raise InputError(
            say(
                "{file} is not UTF-8 or UTF-16 text (byte {offset} is {byte}): save it as UTF-8 (“CSV UTF-8” in a "
                "spreadsheet) and upload it again.",
                file=name,
                offset=f"{offset + 1:,}",
                byte=f"0x{content[offset]:02X}",
            )
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def at_line(upload: Upload, line: int, reason: Message) -> InputError:
    """A refusal of one line of the file."""
    return InputError(say("{file}, line {line}: {reason}", file=upload.shown_name, line=f"{line:,}", reason=reason))


def csv_rows(upload: Upload) -> list[Row]:
    """The file's rows as CSV, blank ones left out."""
    text = decoded(upload)
    # Python's csv module refuses a field over 131,072 characters; the upload limit already bounds the file, and so
    # every field in it. The limit is the process's: raised, never lowered.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    return [row for row in _read(upload, text) if any(cell.strip() for cell in row.cells)]


def _read(upload: Upload, text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text))
    line = 1
    try:
        for cells in reader:
            yield Row(line, cells)
            line = reader.line_num + 1
    except csv.Error as error:
        raise at_line(upload, line, say("{error}.", error=error)) from None
