"""``parse_value``: a JSON value converted to the Spark type its schema declares.

Written by Connector Factory for a project that is not a checkout of the Lakeflow community
connectors repository, modelling the behaviour of that repository's
``src/databricks/labs/community_connector/libs/utils.py`` ``parse_value`` (commit f9c88869) that
its suite applies to every record: ``None`` stays ``None``; a struct needs a non-empty dict
(fields it lacks are ``None`` when nullable, an error otherwise); an array takes a list (a single
value is wrapped when elements may be null); strings take anything (``str(value)``: a dict
becomes its Python ``repr``, which is why JSON-text columns must be ``json.dumps``-ed by the
connector); integers take ints, floats and numeric text; booleans take bools and the usual words;
timestamps and dates take ISO 8601 text. A value that does not convert raises ``ValueError``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructType,
    TimestampType,
)

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def parse_value(value: Any, field_type: DataType) -> Any:
    """``value`` as ``field_type`` holds it (structs become dicts). Raises ``ValueError``."""
    if value is None:
        return None
    try:
        return _convert(value, field_type)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"cannot convert {value!r} to {field_type}: {exc}") from exc


def _convert(value: Any, kind: DataType) -> Any:
    if isinstance(kind, StructType):
        if not isinstance(value, dict) or not value:
            raise ValueError("a struct needs a non-empty object (use None for no value)")
        out = {}
        for field in kind.fields:
            if field.name not in value and not field.nullable:
                raise ValueError(f"non-nullable field {field.name} is missing")
            out[field.name] = parse_value(value.get(field.name), field.dataType)
        return out
    if isinstance(kind, ArrayType):
        items = value if isinstance(value, list) else ([value] if kind.containsNull else None)
        if items is None:
            raise ValueError("an array needs a list")
        return [parse_value(item, kind.elementType) for item in items]
    if isinstance(kind, MapType):
        if not isinstance(value, dict):
            raise ValueError("a map needs an object")
        return {parse_value(k, kind.keyType): parse_value(v, kind.valueType)
                for k, v in value.items()}
    if isinstance(kind, StringType):
        return str(value)
    if isinstance(kind, (IntegerType, LongType)):
        if isinstance(value, str):
            text = value.strip()
            return int(float(text)) if "." in text else int(text)
        if isinstance(value, (int, float)):
            return int(value)
        raise ValueError("not a number")
    if isinstance(kind, (FloatType, DoubleType)):
        return float(value)
    if isinstance(kind, DecimalType):
        return Decimal(str(value))
    if isinstance(kind, BooleanType):
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        return bool(value)
    if isinstance(kind, TimestampType):
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value)
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if isinstance(kind, DateType):
        return date.fromisoformat(str(value)[:10])
    if isinstance(kind, BinaryType):
        return value if isinstance(value, bytes) else str(value).encode("utf-8")
    raise ValueError(f"unsupported type {kind}")
