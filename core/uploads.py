"""Accepting uploaded files: recognised by content, images re-encoded, PDFs parsed (docs/pii.md).

An upload is recognised by its content, never by its name: JPEG, PNG or PDF only, at most ATTACHMENT_MAX_BYTES.
Images are decoded with Pillow and re-encoded from the pixels alone, so EXIF (GPS position, camera, time) and any
bytes appended to the image are gone. PDFs are parsed (`core.pdf`) and refused when they carry scripts, actions,
embedded files or forms. Files are written under a random uuid4 name in ATTACHMENT_ROOT — outside STATIC/MEDIA,
reachable only through a view that checks jurisdiction. Nothing here knows about cases.
"""

import dataclasses
import hashlib
import io
import os
import re
import unicodedata
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

from . import pdf

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000  # 60 megapixels: every phone camera's normal mode; refuses decompression bombs early
MULTIPART_SLACK = 64 * 1024  # form fields and multipart boundaries around the file
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")

_MAGIC = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
_EXTENSION = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}


def max_bytes() -> int:
    return getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def attachment_root() -> Path:
    return Path(getattr(settings, "ATTACHMENT_ROOT", None) or Path(settings.BASE_DIR) / "var" / "attachments")


def path_for(stored_name: str) -> Path:
    if not _STORED_NAME.match(stored_name or ""):
        raise ValueError("invalid stored name")
    return attachment_root() / stored_name[:2] / stored_name


def body_too_large(request) -> bool:
    """Checked before the multipart body is parsed (the view is csrf_exempt until then), so a huge upload is
    refused without being spooled to disk. The exact limit is checked again on the file itself."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > max_bytes() + MULTIPART_SLACK


def display_name(name: str, content_type: str) -> str:
    """The user's file name reduced to a display label: no directories, no control or bidi characters, at most
    100 characters, and the extension of what the file really is (…/passwd.png → passwd.png, x.php → x.pdf)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:80] or "附件"
    return stem + _EXTENSION[content_type]


@dataclasses.dataclass(frozen=True)
class CleanFile:
    """An accepted upload, ready to store: the bytes that will be written (images re-encoded)."""

    content_type: str
    data: bytes
    original_name: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(head: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def too_large_message() -> str:
    return f"文件不能超过 {filesizeformat(max_bytes())}。请压缩或分成几个文件上传。"


def _reencode_image(data: bytes, content_type: str) -> bytes:
    fmt = _PILLOW_FORMAT[content_type]
    broken = ValidationError("图片已损坏或不是有效的 JPEG/PNG 图片，无法读取。", code="bad_image")
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError("图片像素过大（超过6000万像素），请缩小后再上传。", code="too_many_pixels")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            img.load()
            img = ImageOps.exif_transpose(img)  # keep the photo upright once its orientation tag is dropped
            if fmt == "JPEG":
                if img.mode not in ("RGB", "L"):
                    img = img.convert("RGB")
            elif img.mode in ("RGBA", "LA") or "transparency" in img.info:
                img = img.convert("RGBA")
            elif img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            # A new image from the pixels alone: no EXIF, XMP, ICC, text chunks or trailing bytes survive.
            fresh = Image.frombytes(img.mode, img.size, img.tobytes())
        out = io.BytesIO()
        if fmt == "JPEG":
            fresh.save(out, "JPEG", quality=90)
        else:
            fresh.save(out, "PNG")
        return out.getvalue()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        raise broken from None


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError("PDF 文件不完整，请重新扫描或导出后上传。", code="bad_pdf")
    try:
        pdf.check_pdf(data)
    except pdf.PdfRefused as refused:
        raise ValidationError(refused.message, code="active_pdf") from None


def inspect_upload(upload) -> CleanFile:
    """Accept or refuse an uploaded file (ValidationError with a Chinese message)."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(too_large_message(), code="too_large")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(too_large_message(), code="too_large")
    if not data:
        raise ValidationError("文件是空的。", code="empty")
    content_type = sniff(data[:16])
    if content_type is None:
        raise ValidationError(
            "只能上传 JPEG、PNG 图片或 PDF 文档（按文件内容识别，改扩展名无效）。", code="bad_type"
        )
    if content_type == PDF:
        _check_pdf(data)
    else:
        data = _reencode_image(data, content_type)
    return CleanFile(content_type=content_type, data=data, original_name=display_name(upload.name, content_type))


def write_file(data: bytes) -> str:
    """Write `data` under a new random name (never overwriting, never following a link); return the name."""
    stored_name = uuid.uuid4().hex
    path = path_for(stored_name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return stored_name




def open_stored(stored_name: str):
    """A stored file, opened for reading (FileNotFoundError if it has gone missing)."""
    return open(path_for(stored_name), "rb")  # FileResponse closes it
