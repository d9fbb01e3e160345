"""Model fields for personal information: encrypted at rest (core/crypto.py), plaintext in Python.

Referenced by import path from migrations, so this module must not import models.
"""

from django import forms
from django.core import validators
from django.db import models
from django.db.models import signals

from . import crypto


class Sealed(str):
    """A token already encrypted for its row: `get_db_prep_save` stores it as it is. Also what a row-bound value
    read without its row (`values()`, `values_list()`) comes back as — ciphertext, never a plaintext."""


def row_aad(model, field_name: str, pk) -> str:
    """The associated data binding a value to its row: "cases.Party.id_number:42" (docs/pii.md)."""
    return f"{model._meta.label}.{field_name}:{pk}"


def encrypted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


class EncryptedTextField(models.TextField):
    """A text value stored as AES-GCM ciphertext (base64), bound to its row: the associated data is
    "<model label>.<field>:<pk>" (crypto.VERSION), so a value copied into another row or column does not decrypt.

    - The primary key is known only after a new row's INSERT: that INSERT stores a field-bound token
      (crypto.FIELD_VERSION, associated data = the field name, as every value was before row binding) and
      `post_save` re-encrypts the row's values bound to the new key (one UPDATE). `bulk_create()` sends no
      signal: call `bind_rows(objs)` after it (cases.services.disputes.create_dispute does). Values written
      without their row — `bulk_update()`, `QuerySet.update()` of plaintext — are field-bound too; the reader
      accepts both formats, and `manage.py reencrypt_pii` binds whatever is left.
    - Reading: a field-bound token is decrypted as it is loaded (`from_db_value`); a row-bound one needs the row's
      primary key, so it is decrypted once the instance exists (`post_init`). A token that does not belong to
      its row raises crypto.DecryptionError — the page fails, it never shows another party's value.
    - `max_length` limits the *plaintext* (model validation and forms); the column is TEXT on every database.
    - Empty strings are stored as empty strings (no ciphertext), so "not recorded" stays cheap to show.
    - Only `isnull` lookups are allowed: equality or LIKE on ciphertext would silently find nothing. Search by
      ID number goes through the keyed hash column (`BlindIndexField`).
    """

    description = "加密文本"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if not cls._meta.abstract:  # once per model (also migrations' historical models), not once per field
            signals.post_init.connect(_open_row, sender=cls, dispatch_uid="core.fields.open_row")
            signals.post_save.connect(_bind_new_row, sender=cls, dispatch_uid="core.fields.bind_new_row")

    def aad_for(self, instance) -> str:
        return row_aad(self.model, self.name, instance.pk)

    def seal(self, instance, value) -> Sealed:
        return Sealed(crypto.encrypt_bound(value, aad=self.aad_for(instance)))

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if value is None or value == "" or isinstance(value, Sealed) or hasattr(value, "as_sql"):
            return value
        if model_instance.pk is None:  # a new row: field-bound now, bound to its key after the INSERT
            model_instance.__dict__["_encrypted_unbound"] = True
            return value
        return self.seal(model_instance, value)

    def get_db_prep_save(self, value, connection):
        if isinstance(value, Sealed):
            return str(value)
        value = super().get_db_prep_save(value, connection)
        if value is None or value == "" or hasattr(value, "as_sql"):  # expressions encrypt their own values
            return value
        return crypto.encrypt(value, aad=self.name)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        if crypto.version_of(value) == crypto.VERSION:
            return Sealed(value)  # opened by `_open_row` once the instance (and so its primary key) exists
        return crypto.decrypt(value, aad=self.name)

    def open(self, instance, token: str) -> str:
        return crypto.decrypt(token, aad=self.name, bound_aad=self.aad_for(instance))

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, name):
        return None

    def formfield(self, **kwargs):
        # A one-line input (not TextField's textarea), limited to the plaintext length.
        return models.Field.formfield(self, **{"form_class": forms.CharField, "max_length": self.max_length, **kwargs})


def _open_row(sender, instance, **kwargs):
    """post_init: decrypt the row-bound values a query loaded (`from_db_value` left them Sealed)."""
    state = instance.__dict__
    for field in encrypted_fields(sender):
        value = state.get(field.attname)
        if isinstance(value, Sealed):
            state[field.attname] = field.open(instance, value)


def _bind_new_row(sender, instance, created, raw, **kwargs):
    """post_save: a row whose values were written field-bound (its INSERT, or a fixture load) is re-encrypted
    bound to its primary key at once."""
    if instance.__dict__.pop("_encrypted_unbound", False) or raw:
        bind_rows([instance])


def bind_rows(objs, *, using=None) -> int:
    """Re-encrypt the given saved instances' values bound to their rows, in one UPDATE per batch; for rows written
    by `bulk_create()` (no signals) or written before row binding. Returns how many rows were written. Instances
    without a primary key (a database that does not return them from a bulk INSERT) are left field-bound, which
    the reader accepts until `manage.py reencrypt_pii`."""
    objs = [o for o in objs if o.pk is not None]
    if not objs:
        return 0
    model = type(objs[0])
    # Only values the instances hold: touching a deferred one would load it, and write it back field-bound.
    fields = [f for f in encrypted_fields(model) if all(f.attname in o.__dict__ for o in objs)]
    if not fields:
        return 0
    originals = []
    try:
        for obj in objs:
            values = {f.attname: obj.__dict__.get(f.attname) for f in fields}
            originals.append((obj, values))
            for f in fields:
                value = values[f.attname]
                if value and not isinstance(value, Sealed) and not hasattr(value, "as_sql"):
                    obj.__dict__[f.attname] = f.seal(obj, value)
        model._base_manager.using(using or objs[0]._state.db).bulk_update(
            objs, [f.name for f in fields], batch_size=500)
    finally:
        for obj, values in originals:  # the instances keep their plaintext
            obj.__dict__.update(values)
    return len(objs)


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
