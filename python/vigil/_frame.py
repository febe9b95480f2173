"""Checks a pandas DataFrame against a config's input mapping and flattens its columns into the
arrays that Cube.ingest_frame maps to events (in C++, without the GIL).

Values are spelled as the JSON Lines reader spells them, so a frame and the events file it came
from give equivalent cubes: integer and boolean labels become "17" and "true", None and NaN are
missing values. A column that cannot mean what the config says (a float label, text in a
measure) is refused as a whole with DataError, naming the column.
"""

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from vigil._vigil import DataError

_TEXT_ROLES = ("request_id", "device_id", "dimension", "attribute")


def _what(field):
    if field["role"] == "time":
        return "the time field"
    if field["role"] in ("request_id", "device_id"):
        return f"the {field['role']} field"
    return f"{field['role']} {field['name']}"


def _refuse(field, col, why):
    return DataError(f"column '{field['path']}' ({_what(field)}) {why} (dtype {col.dtype})")


def _example(values):
    for v in values:
        if not (v is None or (isinstance(v, float) and np.isnan(v))):
            return repr(v)
    return "?"


def _label(field, col, v):
    # The JSON reader's spelling of a scalar used as a label.
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    raise _refuse(field, col, f"holds {type(v).__name__} values such as {v!r}; expected text")


def _codes(field, col):
    """Per-row indices into a list of texts (-1: missing)."""
    if pdt.is_datetime64_any_dtype(col.dtype) or pdt.is_timedelta64_dtype(col.dtype):
        raise _refuse(field, col, "holds times; expected text")
    if pdt.is_float_dtype(col.dtype):
        if col.isna().all():
            return np.full(len(col), -1, dtype=np.int64), []
        raise _refuse(field, col, "holds floating-point numbers, which are ambiguous as labels "
                      "(18.10 or 18.1?); expected text: read the column with dtype=str")
    codes, uniques = pd.factorize(col)
    uniques = list(np.asarray(uniques, dtype=object))
    if pdt.infer_dtype(uniques, skipna=True) not in ("string", "empty"):
        uniques = [_label(field, col, v) for v in uniques]
    return codes.astype(np.int64, copy=False), uniques


def _time(field, col):
    present = ~col.isna().to_numpy()
    if pdt.is_datetime64_any_dtype(col.dtype):
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = col.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return ("epoch_ms", np.floor_divide(ns, 1_000_000), present)
    if pdt.is_bool_dtype(col.dtype):
        raise _refuse(field, col, "holds booleans; expected times")
    if pdt.is_integer_dtype(col.dtype):
        return ("epoch_ms", col.to_numpy(dtype=np.int64, na_value=0), present)
    if pdt.is_float_dtype(col.dtype):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = present & np.isfinite(values) & (np.abs(np.nan_to_num(values)) <= 9e15)
        # Epoch milliseconds given as floats are truncated, as the JSON reader does.
        ms = np.trunc(np.where(ok, values, 0)).astype(np.int64)
        return ("epoch_ms", ms, ok)
    codes, uniques = pd.factorize(col)
    texts = []
    for v in np.asarray(uniques, dtype=object):
        if isinstance(v, str):
            texts.append(v)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            texts.append(str(int(v)))  # epoch milliseconds
        else:
            raise _refuse(field, col, f"holds {type(v).__name__} values such as {v!r}; expected "
                          "RFC 3339 text, epoch milliseconds or datetimes (pandas.to_datetime(..., "
                          "utc=True) converts mixed values)")
    return ("codes", codes.astype(np.int64, copy=False), texts)


def _numbers(field, col):
    if pdt.is_bool_dtype(col.dtype):
        raise _refuse(field, col, "holds booleans; expected numbers")
    if pdt.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    kind = pdt.infer_dtype(col, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
        return pd.to_numeric(col).to_numpy(dtype=np.float64, na_value=np.nan)
    raise _refuse(field, col, f"holds {kind} values such as {_example(col)}; expected numbers")


def _flags(field, col):
    def check(values, present):
        if not np.isin(values[present], (0, 1)).all():
            bad = values[present][~np.isin(values[present], (0, 1))][0]
            raise _refuse(field, col, f"holds {bad!r}; expected booleans or 0/1")
        return np.where(present, values, -1).astype(np.int8)

    present = ~col.isna().to_numpy()
    if pdt.is_bool_dtype(col.dtype) or pdt.is_numeric_dtype(col.dtype):
        return check(col.to_numpy(dtype=np.float64, na_value=np.nan), present)
    kind = pdt.infer_dtype(col, skipna=True)
    if kind in ("boolean", "integer", "empty"):
        values = np.array([float(v) if p else np.nan for v, p in zip(col, present)])
        return check(values, present)
    raise _refuse(field, col, f"holds {kind} values such as {_example(col)}; expected booleans")


def frame_columns(config, frame, allow_missing):
    """(rows, columns) for Cube.ingest_frame: one tuple per present mapped column, (role, index,
    path, kind, data...) with kind "codes" (indices, texts), "epoch_ms" (times, present),
    "numbers" (float64, NaN missing) or "flags" (int8, -1 missing)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"ingest_frame: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.columns.has_duplicates:
        dup = frame.columns[frame.columns.duplicated()][0]
        raise DataError(f"the frame has more than one column '{dup}'")
    columns, missing = [], []
    for field in config.fields:
        path, role = field["path"], field["role"]
        if path not in frame.columns:
            missing.append(field)
            continue
        col = frame[path]
        if role == "time":
            columns.append((role, field["index"], path) + _time(field, col))
        elif role in _TEXT_ROLES:
            columns.append((role, field["index"], path, "codes") + _codes(field, col))
        elif role == "measure":
            columns.append((role, field["index"], path, "numbers", _numbers(field, col)))
        else:
            columns.append((role, field["index"], path, "flags", _flags(field, col)))
    for field in missing:
        if field["role"] == "time":
            raise DataError(f"the frame has no column '{field['path']}' (the time field)")
    if missing and not allow_missing:
        names = ", ".join(f"'{f['path']}' ({_what(f)})" for f in missing)
        plural = "s" if len(missing) > 1 else ""
        raise DataError(f"the frame has no column{plural} {names}; columns are named by the configured "
                        "input paths (pass allow_missing=True to read absent columns as missing "
                        "values)")
    return len(frame), columns
