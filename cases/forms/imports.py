"""The upload form of the Excel import: .xlsx only, at most 10 MB and 5,000 rows; the sheet is read here so a corrupt
or wrong file is a field error (cases/imports.py says why in Chinese)."""

from django import forms

from .. import imports

XLSX_TYPES = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件",
        help_text=f"请使用下载的模板填写，.xlsx 格式，不超过{imports.MAX_SIZE_TEXT}，最多{imports.MAX_ROWS}行。",
        error_messages={"required": "请选择要导入的 Excel 文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": XLSX_TYPES}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError("只能导入 .xlsx 格式的 Excel 文件。如为 .xls、.csv 或 WPS 文件，请先另存为 .xlsx。")
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"文件不能超过{imports.MAX_SIZE_TEXT}，请分成几个文件导入。")
        data = b"".join(upload.chunks())
        try:
            self.sheet = imports.read_sheet(data)
        except imports.ImportFileError as refused:
            raise forms.ValidationError(refused.message) from None
        self.data_bytes = data
        return upload
