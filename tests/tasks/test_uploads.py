"""Uploaded files as people make them: every encoding a spreadsheet or an editor writes, any line ending, long
fields; and each file that cannot be read refused by its name, with the line and the reason."""

from __future__ import annotations

import codecs

import pytest

from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.tasks import finetune, sentiment
from roberta_demo.tasks.uploads import Upload, csv_rows, decoded

TRAIN = "text,label\ngreat film,pos\nawful film,neg\n"
TEXTS = "text\nI loved it\nIt was dull\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("utf8", TEXTS.encode()),
        ("utf8-bom", codecs.BOM_UTF8 + TEXTS.encode()),
        ("utf16-le-bom", codecs.BOM_UTF16_LE + TEXTS.encode("utf-16-le")),
        ("utf16-be-bom", codecs.BOM_UTF16_BE + TEXTS.encode("utf-16-be")),
        ("crlf", TEXTS.replace("\n", "\r\n").encode()),
        ("cr-only", TEXTS.replace("\n", "\r").encode()),
        ("no-final-newline", TEXTS.rstrip("\n").encode()),
    ],
)
def test_every_encoding_and_line_ending_reads_the_same(context, name, content):
    assert sentiment.parse_texts("", Upload(f"{name}.csv", content), context) == ["I loved it", "It was dull"]


@pytest.mark.parametrize("content", [codecs.BOM_UTF8 + TRAIN.encode(), TRAIN.replace("\n", "\r").encode()])
def test_the_header_row_is_recognised_whatever_the_encoding(content):
    rows = finetune.read_csv(Upload("train.csv", content), Limits())
    assert rows == [["great film", "pos"], ["awful film", "neg"]]


def test_a_field_of_several_megabytes_is_read_within_the_upload_limit():
    long_text = "word " * 980_000  # 4.9 MB on a single line, past Python's csv field limit of 131,072
    rows = csv_rows(Upload("long.csv", f'text\n"{long_text}"\n'.encode()))
    assert [row.cells for row in rows] == [["text"], [long_text]]


def test_a_text_over_the_length_limit_is_named_by_its_line(context):
    too_long = context.limits.max_chars + 1
    content = f"text\nshort\n{'x' * too_long}\n".encode()
    with pytest.raises(InputError, match=rf'^"texts.csv", line 3: The text has {too_long:,} characters'):
        sentiment.parse_texts("", Upload("texts.csv", content), context)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r'^"f.csv" is empty'),
        (b" \n\r\n", r'^"f.csv" is empty'),
        (TEXTS.encode("utf-16-le"), r'^"f.csv" has NUL bytes: it is binary, or UTF-16 without a byte-order mark'),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r'^"f.csv" has NUL bytes'),
        (b"text\ncaf\xe9\n", r'^"f.csv" is not UTF-8 or UTF-16 text \(byte 9 is 0xE9\)'),
        (codecs.BOM_UTF32_LE + TEXTS.encode("utf-32-le"), r'^"f.csv" is UTF-32 text'),
    ],
)
def test_what_is_not_text_is_refused_by_name(content, message):
    with pytest.raises(InputError, match=message):
        decoded(Upload("f.csv", content))


def test_a_header_only_file_has_no_texts(context):
    with pytest.raises(InputError, match=r"Type one text per line, or upload a \.txt or \.csv file"):
        sentiment.parse_texts("", Upload("f.csv", b"text\n"), context)
    with pytest.raises(InputError, match="Add some examples first"):
        finetune.read_examples({"data": finetune.read_csv(Upload("t.csv", b"text,label\n"), Limits())}, None, Limits())


def test_a_row_of_the_wrong_shape_is_named_by_its_line():
    content = b'text,label\n"a text\non two lines",pos\nno label here\n'
    with pytest.raises(InputError, match=r'^"t.csv", line 4: each row needs two columns, .* this one has 1\.'):
        finetune.read_csv(Upload("t.csv", content), Limits())


def test_a_file_name_is_shown_as_data():
    with pytest.raises(InputError, match=r'^"\\u003cimg src=x\\u003e.csv" is empty'):
        decoded(Upload("<img src=x>.csv", b""))
