"""The attachment upload form; the file is checked by content in `core.uploads`."""

from django import forms

from core.uploads import inspect_upload

from ..models import AttachmentKind


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=AttachmentKind.choices, initial=AttachmentKind.PHOTO)
    file = forms.FileField(
        label="文件", help_text="JPEG、PNG 图片或 PDF，单个不超过10 MB。照片中的拍摄位置等信息会被自动去除。",
        error_messages={"required": "请选择要上传的文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"}),
    )

    def clean_file(self):
        return inspect_upload(self.cleaned_data["file"])
