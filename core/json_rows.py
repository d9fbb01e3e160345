"""Many short related lists in one query: the database builds each list as a JSON array (a correlated subquery,
served by the list's foreign-key index), and the rows come back as the model instances the ORM would have loaded —
every concrete field converted as on a normal read (dates, times, booleans, JSON, encrypted fields), with their
`select_related`-style relations cached.

    spec = Rows(DutyLog, "dispute", related={"actor": {}}, order=("on_date", "id"))
    case = Dispute.objects.annotate(**annotations({"duty_logs": spec})).get(pk=1)
    logs = decode(spec, getattr(case, column("duty_logs")))

Meant for pages that show a dozen small lists of one row (a case and its records): one list per query would cost a
dozen round trips whatever the lists hold. The arrays are ordered in Python by `order` (plain field names, "-" for
descending), so the order is the same on SQLite and PostgreSQL.
"""

import datetime
import decimal
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, models
from django.db.models import Aggregate, F, OuterRef, Subquery, TextField
from django.db.models.functions import Cast, JSONObject
from django.utils import dateparse, timezone


class JSONRows(Aggregate):
    """The group's rows as the text of a JSON array (NULL when there is none)."""

    function = "JSON_GROUP_ARRAY"  # SQLite
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, function="JSON_AGG", **extra_context)
        return f"({sql})::text", params


@dataclass(frozen=True)
class Rows:
    """One list: `model`'s rows whose `link` (a lookup path to the outer row's primary key) is the outer row, with
    the related rows `related` ({relation: {its relations}}) loaded into each, sorted by `order`."""

    model: type[models.Model]
    link: str
    related: dict = field(default_factory=dict)
    order: tuple = ()


def column(name: str) -> str:
    """The annotation holding list `name`."""
    return f"{name}_json_rows"


def annotations(specs: dict[str, Rows]) -> dict:
    """The annotations (for `QuerySet.annotate`) that load every list of `specs` with the outer row."""
    return {column(name): _subquery(spec) for name, spec in specs.items()}


def _subquery(spec: Rows) -> Subquery:
    rows = (spec.model._default_manager.filter(**{spec.link: OuterRef("pk")}).order_by()
            .values(spec.link).annotate(rows=JSONRows(_object(spec.model, "", spec.related))).values("rows"))
    return Subquery(rows, output_field=TextField())


def _object(model, prefix: str, related: dict) -> JSONObject:
    pairs = {}
    for f in model._meta.concrete_fields:
        value = F(prefix + f.attname)
        # JSON columns travel as their text on both databases (PostgreSQL would nest them, SQLite quote them).
        pairs[f.attname] = Cast(value, TextField()) if isinstance(f, models.JSONField) else value
    for name, sub in related.items():
        pairs[name] = _object(model._meta.get_field(name).related_model, f"{prefix}{name}__", sub)
    return JSONObject(**pairs)


def decode(spec: Rows, text: str | None, *, using: str = "default") -> list:
    """The instances of list `spec` from its annotation's value, in `spec.order`."""
    connection = connections[using]
    objs = [_instance(spec.model, data, spec.related, connection) for data in json.loads(text or "[]")]
    for name in reversed(spec.order):  # stable sorts, the last key first
        attname = spec.model._meta.get_field(name.lstrip("-")).attname
        objs.sort(key=lambda o, a=attname: (getattr(o, a) is None, getattr(o, a)), reverse=name.startswith("-"))
    return objs


def _instance(model, data: dict, related: dict, connection):
    fields = model._meta.concrete_fields
    obj = model.from_db(connection.alias, [f.attname for f in fields],
                        [_value(f, data.get(f.attname), connection) for f in fields])
    for name, sub in related.items():
        fk = model._meta.get_field(name)
        target = None
        if getattr(obj, fk.attname) is not None:
            target = _instance(fk.related_model, data[name], sub, connection)
        fk.set_cached_value(obj, target)
    return obj


def _value(f, raw, connection):
    """The JSON value as the database driver would have returned the column, then the field's own conversion."""
    if raw is not None:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            raw = dateparse.parse_datetime(raw)
            if settings.USE_TZ and timezone.is_naive(raw):  # SQLite keeps UTC without an offset
                raw = timezone.make_aware(raw, datetime.UTC)
        elif kind == "DateField":
            raw = dateparse.parse_date(raw)
        elif kind == "TimeField":
            raw = dateparse.parse_time(raw)
        elif kind == "BooleanField":
            raw = bool(raw)  # SQLite: 0 or 1
        elif kind == "DecimalField":
            raw = decimal.Decimal(str(raw))
        elif kind == "DurationField":
            raise NotImplementedError("json_rows does not load DurationField values")
    for converter in f.get_db_converters(connection):
        raw = converter(raw, None, connection)
    return raw
