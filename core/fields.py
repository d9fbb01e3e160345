"""Model fields for personal information: encrypted at rest (cases/crypto.py), plaintext in Python.

Referenced by import path from migrations, so this module must not import models.
"""

from django import forms
from django.core import validators
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A text value stored as AES-GCM ciphertext (base64) with the field's name as associated data.

    - `max_length` limits the *plaintext* (model validation and forms); the column is TEXT on every database.
    - Empty strings are stored as empty strings (no ciphertext), so "not recorded" stays cheap to show.
    - Only `isnull` lookups are allowed: equality or LIKE on ciphertext would silently find nothing. Search by
      ID number goes through the keyed hash column (`BlindIndexField`).
    - Saves through `save()`, `bulk_create()`, `bulk_update()` and `QuerySet.update()` are all encrypted
      (they all call `get_db_prep_save`).
    """

    description = "加密文本"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        if value is None or value == "" or hasattr(value, "as_sql"):  # expressions encrypt their own values
            return value
        return crypto.encrypt(value, aad=self.name)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, aad=self.name)

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, name):
        return None

    def formfield(self, **kwargs):
        # A one-line input (not TextField's textarea), limited to the plaintext length.
        return models.Field.formfield(self, **{"form_class": forms.CharField, "max_length": self.max_length, **kwargs})


class BlindIndexField(models.CharField):
    """HMAC-SHA256 (hex) of another field's normalised ID number, recomputed whenever the row is written.

    Computed in `pre_save`, which both `save()` and `bulk_create()` call; `Party.save(update_fields=…)` adds this
    column when the source changes. `bulk_update()`/`QuerySet.update()` of the source must also write this column.
    """

    description = "身份证号检索码（带密钥哈希）"

    def __init__(self, *args, source, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.id_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
