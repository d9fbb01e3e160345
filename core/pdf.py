"""Refuse PDFs that carry active content: scripts, launch and submit actions, embedded files, forms.

Why parse instead of searching the bytes with a regular expression: a byte pattern only sees what is written in
clear text. PDF names may be hex-escaped (`/S /J#61vaScript` is the name /JavaScript, `/J#53` is /JS), and since
PDF 1.5 any dictionary may sit inside a compressed object stream (/ObjStm, usually FlateDecode), where no byte of
"JavaScript" appears in the file. A viewer decodes both, so the check has to decode them too. pypdf does: it
unescapes names and unpacks object streams. `check_pdf` then inspects *every* object listed in the
cross-reference table (plain and compressed, referenced or orphaned) plus every member of every object stream,
and refuses the whole file on the first dictionary that is, or contains, something a scanner or "print to PDF"
never produces.

Budgets: at most MAX_OBJECTS objects/containers and MAX_SECONDS of work. Anything unreadable, encrypted with a
password we do not have, truncated, or too big to inspect is refused too. When in doubt, refuse.
pypdf's log output is silenced: malformed uploads are expected, not operational events.
"""

import logging
import time
from io import BytesIO

from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject, read_object

from .errors import Refused

MAX_OBJECTS = 200_000
MAX_SECONDS = 15.0

logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # pypdf never logs at CRITICAL; keeps its warnings out of logs

_AGAIN = "请重新扫描或打印为 PDF 后上传。"
MESSAGES = {
    "unreadable": "无法读取该 PDF 文件：文件可能已损坏或不完整。请重新扫描或导出后上传。",
    "encrypted": "该 PDF 设置了密码，无法检查其内容，不能上传。请去除密码（或重新扫描）后上传。",
    "too_complex": "该 PDF 结构过于复杂，无法完成安全检查，不能上传。" + _AGAIN,
    "javascript": "PDF 含有脚本（JavaScript），出于安全原因不能上传。" + _AGAIN,
    "action": "PDF 含有会启动程序、打开其他文件或提交数据的操作，出于安全原因不能上传。" + _AGAIN,
    "embedded": "PDF 含有嵌入文件或多媒体内容，出于安全原因不能上传。" + _AGAIN,
    "form": "PDF 含有可填写的表单，不能上传。请先打印为 PDF（或扫描纸质件）后再上传。",
}

# Action types (/S) by verdict. /GoToR opens another file (e.g. \\host\share\x.pdf, which leaks Windows credentials).
_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "action",
    "/GoToR": "action",
    "/ImportData": "action",
    "/SubmitForm": "action",
    "/GoToE": "embedded",
    "/Rendition": "embedded",
    "/Movie": "embedded",
    "/Sound": "embedded",
}
# Annotation types (/Subtype) that embed files, media or 3D models (3D models can carry scripts).
_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
# Dictionary keys that are enough on their own.
_KEYS = {
    "/JS": "javascript",  # script of an action (with or without /S)
    "/JavaScript": "javascript",  # document-level scripts: the /JavaScript name tree in /Names
    "/EmbeddedFiles": "embedded",  # name tree of attached files
    "/EF": "embedded",  # file specification with embedded file streams
    "/RichMediaContent": "embedded",
    "/Collection": "embedded",  # PDF portfolio
    "/XFA": "form",  # XML forms (and their scripts)
    "/FT": "form",  # a form field
}


class PdfRefused(Refused):
    """The PDF must not be stored; `message` is a Chinese sentence for the uploader, `code` a stable reason."""

    def __init__(self, code: str):
        super().__init__(MESSAGES[code])
        self.code = code


def _verdict(d: DictionaryObject, get) -> str | None:
    """Reason to refuse this one dictionary (keys and names already unescaped by pypdf), or None."""
    for key, code in _KEYS.items():
        if key in d:
            return code
    action, subtype, kind = get(d, "/S"), get(d, "/Subtype"), get(d, "/Type")
    if isinstance(action, str) and action in _ACTIONS:
        return _ACTIONS[action]
    if isinstance(subtype, str) and subtype in _ANNOTATIONS:
        return "embedded"
    if kind in ("/EmbeddedFile", "/RichMediaContent"):
        return "embedded"
    form = get(d, "/AcroForm")
    if isinstance(form, DictionaryObject):
        fields = get(form, "/Fields")
        if "/XFA" in form or (isinstance(fields, ArrayObject) and len(fields) > 0):
            return "form"
    return None


def _packed(stm: StreamObject, reader: PdfReader, limit: int) -> list:
    """Every object packed in an object stream, also those no xref entry points to (pypdf parses those, then
    drops them; a viewer repairing a broken xref would load them)."""
    data = stm.get_data()
    first = int(stm["/First"])
    offsets = [int(offset) for offset in data[:first].split()[1::2]]
    if len(offsets) > limit:
        raise PdfRefused("too_complex")
    stream, members = BytesIO(data), []
    for offset in offsets:
        position = first + offset
        while position < len(data) and data[position] in b" \t\r\n\f\x00":
            position += 1
        stream.seek(position)
        members.append(read_object(stream, reader))
    return members


def _inspect(reader: PdfReader) -> None:
    # Every object of the cross-reference: classic table entries and entries inside object streams.
    refs = [(num, gen) for gen, table in reader.xref.items() for num in table]
    refs += [(num, 0) for num in reader.xref_objStm]
    if len(refs) > MAX_OBJECTS:
        raise PdfRefused("too_complex")
    known = set(refs)

    def get(d: DictionaryObject, key: str):
        # A reference to an object missing from the xref is null (ISO 32000 7.3.10). Not asking pypdf for it also
        # avoids its fallback of searching the whole file once per missing object.
        value = d.raw_get(key) if key in d else None
        if isinstance(value, IndirectObject):
            return reader.get_object(value) if (value.idnum, value.generation) in known else None
        return value

    root = get(reader.trailer, "/Root")
    if not isinstance(root, DictionaryObject) or not isinstance(get(root, "/Pages"), DictionaryObject):
        raise PdfRefused("unreadable")

    deadline = time.monotonic() + MAX_SECONDS
    budget = MAX_OBJECTS
    stack: list = [reader.trailer] + [IndirectObject(num, gen, reader) for num, gen in refs]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            obj = reader.get_object(obj)
        budget -= 1
        if budget < 0 or time.monotonic() > deadline:
            raise PdfRefused("too_complex")
        if isinstance(obj, DictionaryObject):  # stream dictionaries included
            code = _verdict(obj, get)
            if code:
                raise PdfRefused(code)
            children = list(obj.values())
            if isinstance(obj, StreamObject) and get(obj, "/Type") == "/ObjStm":
                children += _packed(obj, reader, budget)
        elif isinstance(obj, ArrayObject):
            children = obj
        else:
            continue
        # Indirect children are already on the stack (they are xref entries); only descend into direct ones.
        stack.extend(c for c in children if isinstance(c, (DictionaryObject, ArrayObject)))


def check_pdf(data: bytes) -> None:
    """Return None if the PDF may be stored; raise PdfRefused (Chinese `message`) otherwise."""
    if not data or b"%PDF-" not in data[:1024] or b"%%EOF" not in data[-2048:]:
        raise PdfRefused("unreadable")
    try:
        reader = PdfReader(BytesIO(data), strict=False, root_object_recovery_limit=0)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PdfRefused("encrypted")
        _inspect(reader)
    except PdfRefused:
        raise
    except Exception as exc:  # pypdf raises many types on hostile input (PdfReadError, ValueError, RecursionError…)
        raise PdfRefused("unreadable") from exc
