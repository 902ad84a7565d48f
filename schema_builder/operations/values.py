"""Typing and validating values: filter values from query strings, and field values in writes.

Field validation follows Spryker's runtime rules (type 1305, rule 1306, url 1316) and adds
dexgate's rules (pattern, enum) and the limits the column itself imposes (integer range, string
length, numeric precision), so a value the database would refuse is refused before any write.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from schema_builder.catalog import Field
from schema_builder.errors import (
    DexgateError,
    InvalidFieldTypeError,
    InvalidFieldValueError,
    InvalidFilterError,
    InvalidUrlError,
)

# ASCII digits only, as in Spryker (PHP's \d): Python's \d also matches "٣".
DECIMAL_PATTERN = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)
INTEGER_PATTERN = re.compile(r"^-?\d+$", re.ASCII)
# PostgreSQL's numeric holds at most 131072 digits before the point and 16383 after: a bound
# for every back end.
MAX_DECIMAL_DIGITS = 131072
MAX_DECIMAL_SCALE = 16383
URL_PATTERN = re.compile(r"^\/$|^\/[a-z0-9\-._~%!$&'()*+,;=@]+(\/[a-zA-Z0-9\-._~%!$&'()*+,;=:@]+)*")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def filter_value(field: Field, raw: Any, alias: str) -> Any:
    """A filter value typed for ``field``'s column, or :class:`InvalidFilterError`."""

    def refuse(expected: str) -> InvalidFilterError:
        return InvalidFilterError(
            f"Filter value {raw!r} for field `{field.name}` of `{alias}` is not {expected}."
        )

    kind = field.type
    if raw is None:
        raise refuse('a value (use {"isNull": true} to match nulls)')
    if isinstance(raw, str) and "\x00" in raw:
        raise refuse("valid text (it contains a NUL character)")
    if isinstance(raw, str) and not is_unicode(raw):
        raise refuse("valid text (it contains an unpaired surrogate)")
    if kind == "integer":
        low, high = field.int_range
        if isinstance(raw, bool):
            raise refuse("an integer")
        if isinstance(raw, str) and INTEGER_PATTERN.match(raw.strip()):
            try:
                raw = int(raw.strip())
            except ValueError:  # more digits than Python converts: far beyond any column
                raise refuse(f"an integer between {low} and {high}") from None
        if isinstance(raw, Decimal) and raw == raw.to_integral_value():
            # Range first: int() of a JSON number like 1e99999999 would run for minutes.
            if not low <= raw <= high:
                raise refuse(f"an integer between {low} and {high}")
            raw = int(raw)
        if not isinstance(raw, int):
            raise refuse("an integer")
        if not low <= raw <= high:
            raise refuse(f"an integer between {low} and {high}")
        return raw
    if kind in ("decimal", "float"):
        if isinstance(raw, bool):
            raise refuse("a number")
        text = str(raw).strip()
        if not DECIMAL_PATTERN.match(text):
            raise refuse("a number")
        integer_part, _, fraction = text.lstrip("-").partition(".")
        if len(integer_part) > MAX_DECIMAL_DIGITS or len(fraction) > MAX_DECIMAL_SCALE:
            raise refuse(
                f"a number of at most {MAX_DECIMAL_DIGITS} digits before the point and "
                f"{MAX_DECIMAL_SCALE} after"
            )
        return Decimal(text) if kind == "decimal" else float(text)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise refuse("true or false")
    if kind == "date":
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise refuse("an ISO 8601 date") from None
    if kind == "datetime":
        try:
            return datetime.fromisoformat(str(raw))
        except ValueError:
            raise refuse("an ISO 8601 date-time") from None
    if kind == "json":
        raise InvalidFilterError(
            f"Field `{field.name}` of `{alias}` holds JSON and cannot be filtered."
        )
    if isinstance(raw, dict | list):
        raise refuse("a string")
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def is_unicode(text: str) -> bool:
    """False for text holding an unpaired surrogate (JSON allows ``"\\ud800"``), which no
    database stores and no UTF-8 response can carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def rules_text(field: Field) -> str:
    """Spryker's ``%validationRules%``: the field's rules as ``key: value`` pairs."""
    v = field.definition.validation
    pairs: list[tuple[str, Any]] = [
        ("min", v.min),
        ("max", v.max),
        ("min_length", v.min_length),
        ("max_length", v.max_length),
        ("precision", v.precision),
        ("scale", v.scale),
        ("pattern", v.pattern),
        ("enum", ", ".join(str(e) for e in v.enum) if v.enum is not None else None),
        ("is_required", "1" if v.is_required else ""),
    ]
    return ", ".join(f"{key}: {value}" for key, value in pairs if value is not None)


def _value_error(field: Field, path: str, detail: str | None = None) -> InvalidFieldValueError:
    rules = rules_text(field)
    if detail:
        rules = f"{rules}, {detail}" if rules else detail
    return InvalidFieldValueError(path, field.name, rules)


def check_value(field: Field, value: Any, path: str) -> tuple[Any, list[DexgateError]]:
    """Validate a non-null value sent for ``field``; return it typed for the column.

    ``value`` comes from a JSON body decoded with floats as :class:`~decimal.Decimal`.
    """
    kind = field.type
    v = field.definition.validation
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return value, [InvalidFieldTypeError(path, field.name)]
        low, high = field.int_range
        if (
            (v.min is not None and value < v.min)
            or (v.max is not None and value > v.max)
            or not low <= value <= high
        ):
            detail = None if low <= value <= high else f"range: {low}..{high}"
            return value, [_value_error(field, path, detail)]
        return value, _enum_errors(field, value, path)
    if kind == "string":
        if not isinstance(value, str):
            return value, [InvalidFieldTypeError(path, field.name)]
        return value, _string_errors(field, value, path)
    if kind == "boolean":
        if not isinstance(value, bool):
            return value, [InvalidFieldTypeError(path, field.name)]
        return value, []
    if kind in ("decimal", "float"):
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            return value, [InvalidFieldTypeError(path, field.name)]
        text = str(value)
        if isinstance(value, Decimal) and "E" in text.upper():
            if abs(value.adjusted()) > MAX_DECIMAL_DIGITS:
                # Writing 1e99999999 out in full would take a gigabyte; no column holds it.
                return value, [_value_error(field, path, f"digits: {MAX_DECIMAL_DIGITS}")]
            text = format(value, "f")
        if not DECIMAL_PATTERN.match(text):
            return value, [InvalidFieldTypeError(path, field.name)]
        number = Decimal(text)
        errors = _decimal_errors(field, text, number, path)
        if kind == "float":
            return float(number), errors
        return number, errors
    if kind == "date":
        try:
            return date.fromisoformat(value), []
        except (TypeError, ValueError):
            return value, [InvalidFieldTypeError(path, field.name)]
    if kind == "datetime":
        try:
            return datetime.fromisoformat(value), []
        except (TypeError, ValueError):
            return value, [InvalidFieldTypeError(path, field.name)]
    try:
        return _plain_json(value), []
    except ValueError:
        return value, [_value_error(field, path, f"numbers within ±{_JSON_LIMIT:.0e}")]


_JSON_LIMIT = Decimal("1e308")


def _plain_json(value: Any) -> Any:
    """JSON decoded with exact decimals, as plain ints and floats; ValueError beyond floats."""
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= _JSON_LIMIT:
            raise ValueError(value)
        if value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    return value


def _string_errors(field: Field, value: str, path: str) -> list[DexgateError]:
    v = field.definition.validation
    length = len(value)
    if "\x00" in value:
        return [_value_error(field, path, "no NUL characters")]
    if not is_unicode(value):
        return [_value_error(field, path, "no unpaired surrogates")]
    if (v.min_length is not None and length < v.min_length) or (
        v.max_length is not None and length > v.max_length
    ):
        return [_value_error(field, path)]
    if field.column_length is not None and length > field.column_length:
        return [_value_error(field, path, f"column length: {field.column_length}")]
    if v.pattern is not None and re.search(v.pattern, value) is None:
        return [_value_error(field, path)]
    errors = _enum_errors(field, value, path)
    if "url" in v.constraints and not URL_PATTERN.match(value):
        errors.append(InvalidUrlError(path, field.name))
    return errors


def _enum_errors(field: Field, value: Any, path: str) -> list[DexgateError]:
    enum = field.definition.validation.enum
    if enum is not None and value not in enum:
        return [_value_error(field, path)]
    return []


def _decimal_errors(field: Field, text: str, number: Decimal, path: str) -> list[DexgateError]:
    v = field.definition.validation
    integer_part, _, fraction = text.lstrip("-").partition(".")
    integer_digits = len(integer_part.lstrip("0"))
    fraction_digits = len(fraction.rstrip("0"))
    if v.precision is not None:
        scale = v.scale or 0
        if integer_digits > v.precision - scale or fraction_digits > scale:
            return [_value_error(field, path)]
    if field.column_precision is not None:
        scale = field.column_scale or 0
        if integer_digits > field.column_precision - scale:
            return [
                _value_error(
                    field, path, f"column precision: {field.column_precision}, scale: {scale}"
                )
            ]
    try:
        if (v.min is not None and number < Decimal(str(v.min))) or (
            v.max is not None and number > Decimal(str(v.max))
        ):
            return [_value_error(field, path)]
    except InvalidOperation:
        return [_value_error(field, path)]
    return _enum_errors(field, number, path)
