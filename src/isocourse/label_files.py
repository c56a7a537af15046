"""Read label records (openFDA drug label JSON) from a folder an operator downloaded.

The edge for ``isocourse knowledge check``: it lists and parses the files; the
comparison itself is :mod:`isocourse.knowledge.label_check`. Nothing is fetched.

Errors::

    LabelFileError    the folder is missing or empty, or a file is not a label record
                      (the message names the file)
"""

from __future__ import annotations

import json
from pathlib import Path

from isocourse.knowledge.label_check import LabelRecord, LabelRecordError, records_in_document


class LabelFileError(Exception):
    """The folder or one of its files cannot be read as openFDA label records."""


def read_label_folder(folder: Path) -> list[LabelRecord]:
    """Every record of every ``*.json`` file in ``folder`` (not its subfolders), by name."""
    if not folder.is_dir():
        raise LabelFileError(f"{folder}: no such folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file())
    if not files:
        raise LabelFileError(f"{folder}: no .json label records in this folder")
    records: list[LabelRecord] = []
    for path in files:
        records.extend(read_label_file(path))
    return records


def read_label_file(path: Path) -> list[LabelRecord]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        raise LabelFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise LabelFileError(f"{path}: not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        raise LabelFileError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    try:
        records = records_in_document(document, path.name)
    except LabelRecordError as error:
        # the record's own message starts with the file's name; give its folder too
        raise LabelFileError(f"{path.parent}/{error}") from error
    if not records:
        raise LabelFileError(f"{path}: holds no label record")
    return records
