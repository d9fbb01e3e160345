"""Storing a case attachment: the file under a random name, its row and the change record, all or nothing."""

from django.db import transaction
from django.template.defaultfilters import filesizeformat

from core.uploads import CleanFile, path_for, write_file

from ..models import Attachment, AttachmentKind, Dispute, EventKind
from ._common import lock_case
from .record import record_change


@transaction.atomic
def store_attachment(*, actor, dispute: Dispute, kind: str, clean: CleanFile) -> Attachment:
    """Write the file under a random name, then its row and a timeline entry. If the rows fail, the file goes."""
    case = lock_case(actor, dispute)
    stored_name = write_file(clean.data)
    try:
        attachment = Attachment.objects.create(
            dispute=case, kind=kind, original_name=clean.original_name, stored_name=stored_name,
            content_type=clean.content_type, size=clean.size, sha256=clean.sha256, uploaded_by=actor,
        )
        record_change(case, actor, EventKind.ATTACHED, field="attachment", new=clean.original_name, obj=attachment,
                      note=f"{AttachmentKind(kind).label}，{filesizeformat(clean.size)}",
                      detail=f"上传附件（{AttachmentKind(kind).label}）")
    except BaseException:
        path_for(stored_name).unlink(missing_ok=True)
        raise
    return attachment
