"""What every Excel import shares (the 排查 import in cases/, the people and accounts import in accounts/): checking
that an upload is an .xlsx worth opening, reading a cell as text, and keeping the upload between the preview and
the confirmation.

The upload waiting for its confirmation is a temporary file named by a random token kept in the session (never a
model: no migration). It is deleted after the import, when the user abandons it or uploads another, and a day after
it was left behind. Nothing here knows about cases or accounts.
"""

import dataclasses
import datetime
import io
import re
import secrets
import tempfile
import time
import zipfile
from pathlib import Path

from django.conf import settings

MAX_UNZIPPED = 200 * 1024 * 1024  # a 10 MB .xlsx of 5,000 rows unpacks to a few dozen MB; more is a zip bomb
PENDING_MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class FileRefused(Exception):
    """The file as a whole cannot be read (not an .xlsx, corrupt, headers missing, too many rows)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_xlsx(data: bytes, *, max_unzipped: int = MAX_UNZIPPED):
    """Refuse (FileRefused, in Chinese) what is not an .xlsx, or unpacks to more than `max_unzipped` bytes."""
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused("文件不是有效的 .xlsx 文件（可能是 .xls、.csv 或改了扩展名的文件），请用 Excel 另存为 .xlsx 后再上传。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > max_unzipped:
                raise FileRefused("文件解压后过大，无法读取。请删除多余的工作表或内容后再上传。")
            if "xl/workbook.xml" not in z.namelist():
                raise FileRefused("文件不是有效的 .xlsx 文件，请用 Excel 另存为 .xlsx 后再上传。")
    except zipfile.BadZipFile:
        raise FileRefused("文件已损坏，无法读取。请用 Excel 重新保存为 .xlsx 后再上传。") from None


def cell_text(value) -> str:
    """A cell as the text a person typed: dates as ISO dates, 13812345678.0 as 13812345678, trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def body_too_large(request, max_bytes: int) -> bool:
    """Checked before the multipart body is parsed (the view is csrf_exempt until then), so a huge upload is
    refused without being spooled to disk; the exact limit is checked again on the file itself."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > max_bytes + 64 * 1024
    except ValueError:
        return True


def upload_name(name: str) -> str:
    """The uploaded file's name for pages and the audit row: no directories, at most 100 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:100] or "导入文件.xlsx"


def pending_dir() -> Path:
    root = getattr(settings, "IMPORT_TMP_DIR", None) or Path(tempfile.gettempdir()) / "jiaxiang-imports"
    root = Path(root)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


@dataclasses.dataclass(frozen=True)
class Pending:
    token: str
    name: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


def _sweep_old(root: Path):
    """Files abandoned without a click (the user closed the tab) are deleted after a day."""
    cutoff = time.time() - PENDING_MAX_AGE
    for old in root.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


@dataclasses.dataclass(frozen=True)
class PendingUploads:
    """One import's waiting upload per session, under the session key `key`."""

    key: str

    def store(self, session, data: bytes, name: str) -> Pending:
        """Keep the upload in a temporary file named by a fresh random token; the session holds the token and
        name. A previous pending upload of this session (for this import) is deleted."""
        self.discard(session)
        root = pending_dir()
        _sweep_old(root)
        token = secrets.token_urlsafe(24)
        path = root / f"{token}.xlsx"
        path.write_bytes(data)
        path.chmod(0o600)
        session[self.key] = {"token": token, "name": name}
        return Pending(token, name, path)

    def get(self, session) -> Pending | None:
        info = session.get(self.key) or {}
        token = info.get("token", "")
        if not _TOKEN.match(token):
            return None
        path = pending_dir() / f"{token}.xlsx"
        if not path.is_file():
            session.pop(self.key, None)
            return None
        return Pending(token, info.get("name", ""), path)

    def discard(self, session):
        found = self.get(session)
        if found is not None:
            found.path.unlink(missing_ok=True)
        session.pop(self.key, None)
