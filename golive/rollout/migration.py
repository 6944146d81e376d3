"""Compare a data migration's source with its target: counts, keys, values, aggregates.

A side is a SQLAlchemy database URL or a mapping of table name → CSV extract (a path or an open
binary file). Each table entry of a check names the table on both sides, its key columns, the
columns compared (empty: every column the two sides share, the key aside) and aggregates to
compute on both sides. The row diff itself is datacompy's (`PandasCompare` joined on the key).

Values are compared as normalized text, so that the two sides' types need not agree: numbers
become their shortest decimal form (`7`, `7.0` and `Decimal("7.00")` are all `7`), and a text
value is also read as a number when the column holds numbers on both sides (a CSV column whose
values are all numeric, or a numeric database column). `'007'` from a CSV against the integer
`7` is therefore equal, while `'007'` against a text column holding `'7'` is a change. NULL and
an empty CSV field are both "no value".

Nothing here writes anywhere; errors are `MigrationSourceError` (a side cannot be read) and
`MigrationConfigError` (the table entries are wrong), with messages that never show a password.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from golive.rollout.secrets import url_mask

if TYPE_CHECKING:
    import pandas as pd

# pandas and datacompy are imported where a comparison runs, not with this module: the API and
# every app-server worker import it, and pandas' import-time threads must not exist in a
# gunicorn master that forks workers (the workers then hang for 30 s on exit).

AGGREGATES = ("sum", "min", "max", "count", "checksum")
TABLE_KEYS = {"source", "target", "key", "columns", "aggregates"}
CONNECT_TIMEOUT_SECONDS = 10
NULL_MARK = "\x00null"


class MigrationConfigError(ValueError):
    """The table entries (or a URL) of a migration check are not usable; `messages` say why."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


class MigrationSourceError(Exception):
    """One side of a migration check cannot be read (host, login, database, table, file)."""

    def __init__(self, side: str, message: str) -> None:
        super().__init__(f"{side}: {message}")
        self.side = side
        self.message = message


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    """One validated table entry of a check."""

    index: int
    source: str
    target: str
    key: tuple[str, ...]
    columns: tuple[str, ...] = ()
    aggregates: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return the entry's name in reports: the table, or "source → target" when renamed."""
        return self.source if self.source == self.target else f"{self.source} → {self.target}"

    def table(self, side: str) -> str:
        """Return the table's name on `side` ("source" or "target")."""
        return self.source if side == "source" else self.target

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as it is stored on the check."""
        return {
            "source": self.source,
            "target": self.target,
            "key": list(self.key),
            "columns": list(self.columns),
            "aggregates": {c: list(f) for c, f in self.aggregates.items()},
        }


def _names(value: Any) -> list[str] | None:
    """Return `value` as a list of non-empty, distinct column names, or None when it is not."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return None
    names = [v.strip() for v in value]
    if any(not n for n in names) or len({n.lower() for n in names}) != len(names):
        return None
    return names


def tables_validate(tables: Any) -> list[TableSpec]:
    """Return the table entries of a check, validated; refuse naming every faulty entry."""
    if not isinstance(tables, list | tuple) or not tables:
        raise MigrationConfigError(
            'Give the tables to compare as a list, e.g. [{"source": "customers", '
            '"target": "customer", "key": ["id"]}].'
        )
    specs: list[TableSpec] = []
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(tables):
        where = f"tables[{index}]"
        if not isinstance(entry, Mapping):
            errors.append(f"{where}: give an object with source, target and key.")
            continue
        source = entry.get("source")
        where = f"tables[{index}] ({source})" if isinstance(source, str) and source else where
        problems: list[str] = []
        unknown = sorted(set(entry) - TABLE_KEYS)
        if unknown:
            problems.append(
                f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                f"(use {', '.join(sorted(TABLE_KEYS))})"
            )
        if not isinstance(source, str) or not source.strip():
            problems.append("source: name the table on the source side")
        target = entry.get("target", source)
        if not isinstance(target, str) or not target.strip():
            problems.append("target: name the table on the target side")
        key = _names(entry.get("key"))
        if not key:
            problems.append('key: give the key column(s) as a list of distinct names, e.g. ["id"]')
        columns = _names(entry.get("columns") or [])
        if columns is None:
            problems.append("columns: give a list of distinct column names (empty: all shared)")
        elif key and {c.lower() for c in columns} & {k.lower() for k in key}:
            problems.append("columns: leave the key columns out (they are always compared)")
        aggregates: dict[str, tuple[str, ...]] = {}
        raw_aggregates = entry.get("aggregates") or {}
        if not isinstance(raw_aggregates, Mapping):
            problems.append('aggregates: give {column: ["sum", "count", …]}')
        else:
            for column, functions in raw_aggregates.items():
                names = _names(functions)
                bad = [f for f in names or [] if f not in AGGREGATES]
                if not isinstance(column, str) or not column.strip() or not names or bad:
                    problems.append(
                        f"aggregates {column!r}: give a list of {', '.join(AGGREGATES)}"
                        + (f" (not {', '.join(bad)})" if bad else "")
                    )
                else:
                    aggregates[column.strip()] = tuple(names)
        if problems:
            errors.append(f"{where}: {'; '.join(problems)}.")
            continue
        assert isinstance(source, str) and isinstance(target, str) and key is not None
        pair = (source.strip(), target.strip())
        if pair in seen:
            errors.append(f"{where}: this table pair is listed twice.")
            continue
        seen.add(pair)
        specs.append(
            TableSpec(index, pair[0], pair[1], tuple(key), tuple(columns or ()), aggregates)
        )
    if errors:
        raise MigrationConfigError(errors)
    return specs


def database_url_check(text: str, *, side: str = "url") -> URL:
    """Return `text` parsed as a SQLAlchemy URL whose dialect and driver are installed."""
    shown = url_mask(text)
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise MigrationConfigError(
            f"{side}: {shown!r} is not a database URL; write dialect+driver://user:password@"
            "host:port/database (e.g. postgresql+psycopg://app@db:5432/erp), env:NAME or csv."
        ) from None
    try:
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise MigrationConfigError(
            f"{side}: unknown database dialect or driver {url.drivername!r} in {shown!r} "
            "(e.g. sqlite, postgresql+psycopg, mysql+pymysql)."
        ) from None
    except ImportError:
        raise MigrationConfigError(
            f"{side}: the driver for {url.drivername!r} is not installed on this server."
        ) from None
    return url


# --- value normalization --------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _number_text(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return None if value != value else Decimal(repr(value))  # NaN: no value
    if isinstance(value, str) and _NUMBER.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _is_null(value: Any) -> bool:
    if value is None or type(value).__name__ == "NaTType":  # pandas' missing timestamp
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value == ""


def _text(value: Any, numeric: bool) -> str | None:
    """Return `value` in its normalized text form (None for no value)."""
    kind = type(value)
    if kind is str:  # the common cases first: this runs once per value read
        text: str = value
        if not text:
            return None
        if not numeric:
            return text
        number = _as_number(text)
        return text if number is None else _number_text(number)
    if kind is int:
        return str(value)
    if _is_null(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if numeric or not isinstance(value, str):
        number = _as_number(value)
        if number is not None:
            return _number_text(number)
    if isinstance(value, datetime) and hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _plain(value: Any) -> str | None:
    """Return a normalized value as JSON can hold it (pandas' NaN for no value becomes None)."""
    return None if _is_null(value) else str(value)


def _sort_key(value: str | None) -> tuple[int, Decimal, str]:
    number = _as_number(value) if value is not None else None
    if number is not None and number.is_finite():
        return (0, number, "")
    return (1, Decimal(0), value or "")


# --- reading one side -----------------------------------------------------------------------


@dataclass
class _Table:
    """A table as read from one side: its columns by lower-case name and the raw rows."""

    name: str
    columns: dict[str, str]  # lower-case name → actual name
    numeric: set[str]  # actual names of columns declared numeric (databases)
    rows: int
    frame: pd.DataFrame | None = None  # CSV: the whole file; databases: fetched on demand


class _DatabaseSide:
    def __init__(self, side: str, url_text: str) -> None:
        self.side = side
        self._tables: dict[str, sa.Table] = {}
        try:
            url = database_url_check(url_text, side=side)
        except MigrationConfigError as exc:
            raise MigrationSourceError(side, exc.messages[0].removeprefix(f"{side}: ")) from None
        self.url = url
        self.shown = url_mask(url_text)
        self.password = url.password or ""
        if url.get_backend_name() == "sqlite":
            path = url.database or ""
            memory = path in ("", ":memory:") or path.startswith("file:")
            if not memory and not Path(path).is_file():
                raise MigrationSourceError(side, f"the SQLite database file {path} does not exist.")
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() in ("postgresql", "mysql", "mariadb"):
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        try:
            self.engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.NullPool)
            self.connection = self.engine.connect()
        except ImportError:
            raise MigrationSourceError(
                side, f"the driver for {url.drivername!r} is not installed on this server."
            ) from None
        except SQLAlchemyError as exc:
            raise MigrationSourceError(side, self._explain(exc)) from None

    def _scrub(self, text: str) -> str:
        if self.password:
            text = text.replace(self.password, "***")
        return text

    def _explain(self, exc: BaseException) -> str:
        """Say why connecting failed, naming host, port, user or database; never the password."""
        original = getattr(exc, "orig", None) or exc
        detail = self._scrub(str(original).strip().splitlines()[0] if str(original) else "")
        lowered = str(original).lower()
        host = self.url.host or "localhost"
        where = f"{host}:{self.url.port}" if self.url.port else host
        user = self.url.username or ""
        if any(
            s in lowered
            for s in ("password authentication failed", "authentication failed", "access denied")
        ) or re.search(r'role "[^"]*" does not exist', lowered):
            return (
                f"authentication failed for user {user!r} on {where}: check the user name and "
                "password (the password is not shown)."
            )
        if re.search(r'database "[^"]*" does not exist', lowered) or "unknown database" in lowered:
            return f"the database {self.url.database!r} does not exist on {where}."
        unreachable = (
            "connection refused",
            "could not connect",
            "timeout expired",
            "timed out",
            "failed to resolve host",
            "could not translate host name",
            "name or service not known",
            "no route to host",
            "network is unreachable",
            "can't connect",
        )
        if any(s in lowered for s in unreachable):
            return f"cannot reach the database server at {where} ({detail})."
        if "unable to open database file" in lowered:
            return f"the SQLite database {self.url.database} cannot be opened."
        return f"cannot read {self.shown}: {detail or type(original).__name__}."

    def table(self, name: str) -> _Table:
        schema, _, table_name = name.rpartition(".")
        try:
            table = sa.Table(
                table_name, sa.MetaData(), schema=schema or None, autoload_with=self.connection
            )
            rows = self.connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        except NoSuchTableError:
            raise MigrationSourceError(
                self.side, f"the table {name!r} does not exist in {self.shown}."
            ) from None
        except SQLAlchemyError as exc:
            self.connection.rollback()
            raise MigrationSourceError(self.side, f"table {name!r}: {self._explain(exc)}") from None
        columns = {c.name.lower(): c.name for c in table.columns}
        numeric = {
            c.name
            for c in table.columns
            # Float is not a Numeric subclass in SQLAlchemy 2.1: name both.
            if isinstance(c.type, sa.Numeric | sa.Float | sa.Integer)
            and not isinstance(c.type, sa.Boolean)
        }
        self._tables[name] = table
        return _Table(name, columns, numeric, int(rows or 0))

    def fetch(self, loaded: _Table, columns: list[str]) -> pd.DataFrame:
        import pandas as pd

        table = self._tables[loaded.name]
        try:
            result = self.connection.execute(sa.select(*(table.c[c] for c in columns)))
            records = result.all()
        except SQLAlchemyError as exc:
            self.connection.rollback()
            raise MigrationSourceError(
                self.side, f"table {loaded.name!r}: {self._explain(exc)}"
            ) from None
        return pd.DataFrame.from_records(
            [tuple(r) for r in records], columns=columns, coerce_float=False
        ).astype(object)

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


def csv_read(source: Any, *, name: str | None = None, side: str = "csv") -> pd.DataFrame:
    """Read a whole CSV extract (header first, UTF-8, comma-separated) as text values.

    `source` is a path or a binary file. Refuse, naming the file and the line, a file that
    cannot be parsed, has no header, repeats a header name or is not UTF-8.
    """
    import pandas as pd

    label = name or (str(source) if isinstance(source, str | Path) else None)
    label = label or getattr(source, "name", None) or "the CSV file"
    try:
        if isinstance(source, str | Path):
            data = Path(source).read_bytes()
        else:
            if hasattr(source, "seek"):
                source.seek(0)
            data = source.read()
            if isinstance(data, str):
                data = data.encode()
    except OSError as exc:
        raise MigrationSourceError(
            side, f"{label}: cannot be read ({exc.strerror or exc})."
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MigrationSourceError(side, f"{label}, line {line}: not UTF-8 text.") from None
    try:
        header = next(csv.reader(io.StringIO(text)), None)
    except csv.Error as exc:
        raise MigrationSourceError(side, f"{label}, line 1: {exc}.") from None
    if not header or not any(h.strip() for h in header):
        raise MigrationSourceError(side, f"{label}: the file is empty (a header line is needed).")
    names = [h.strip() for h in header]
    duplicates = sorted({n for n in names if [m.lower() for m in names].count(n.lower()) > 1})
    if duplicates or any(not n for n in names):
        problem = f"repeats {', '.join(duplicates)}" if duplicates else "has an empty column name"
        raise MigrationSourceError(side, f"{label}, line 1: the header {problem}.")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        where = f", line {found.group(1)}" if found else ""
        reason = str(exc).split(". ", 1)[-1].rstrip(".")
        raise MigrationSourceError(side, f"{label}{where}: {reason}.") from None
    frame.columns = names
    return frame.astype(object)


class _CsvSide:
    def __init__(self, side: str, files: Mapping[str, Any]) -> None:
        self.side = side
        self.files = dict(files)
        self.shown = "CSV extracts"

    def table(self, name: str) -> _Table:
        source = self.files.get(name)
        if source is None:
            raise MigrationSourceError(
                self.side, f"no CSV extract of the table {name!r} has been uploaded."
            )
        frame = csv_read(source, side=self.side)
        columns = {c.lower(): c for c in frame.columns}
        return _Table(name, columns, set(), len(frame), frame)

    def fetch(self, loaded: _Table, columns: list[str]) -> pd.DataFrame:
        assert loaded.frame is not None
        return loaded.frame[columns]

    def close(self) -> None:
        return None


def _open(side: str, spec: Any) -> _DatabaseSide | _CsvSide:
    if isinstance(spec, str):
        return _DatabaseSide(side, spec)
    if isinstance(spec, Mapping):
        return _CsvSide(side, spec)
    raise TypeError(f"{side}: give a database URL or a mapping of table → CSV file")


# --- comparing ------------------------------------------------------------------------------


def _resolve(side: str, loaded: _Table, names: list[str], what: str) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    for name in names:
        actual = loaded.columns.get(name.lower())
        (found if actual else unknown).append(actual or name)
    if unknown:
        raise MigrationSourceError(
            side,
            f"the table {loaded.name!r} has no {what} column "
            f"{', '.join(repr(u) for u in unknown)} (it has {', '.join(loaded.columns.values())}).",
        )
    return found


def _numeric_column(loaded: _Table, actual: str, values: pd.Series) -> bool:
    if loaded.frame is None:  # database: its declared type decides
        return actual in loaded.numeric
    present = [v for v in values if not _is_null(v)]
    return bool(present) and all(_as_number(v) is not None for v in present)


def _checksum(values: list[str | None]) -> str:
    total = 0
    for value in values:
        digest = hashlib.sha1((NULL_MARK if value is None else value).encode()).hexdigest()  # noqa: S324
        total = (total + int(digest[:16], 16)) % 2**63
    return f"{total:016x}"


def _aggregate(function: str, values: list[str | None], numeric: bool) -> Any:
    present = [v for v in values if v is not None]
    if function == "count":
        return len(present)
    if function == "checksum":
        return _checksum(values)
    if function == "sum":
        if not numeric:
            return None
        return _number_text(sum((Decimal(v) for v in present), Decimal(0)))
    if not present:
        return None
    chosen = (min if function == "min" else max)(present, key=_sort_key if numeric else None)
    return chosen


def _keys(frame: pd.DataFrame, key: list[str]) -> list[tuple[str, ...]]:
    return [tuple(row) for row in frame[key].itertuples(index=False, name=None)]


def _sorted_keys(keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return sorted(keys, key=lambda k: tuple(_sort_key(v) for v in k))


def _compare_table(
    spec: TableSpec,
    sides: dict[str, _DatabaseSide | _CsvSide],
    sample_size: int,
) -> dict[str, Any]:
    import datacompy
    import pandas as pd

    loaded = {side: reader.table(spec.table(side)) for side, reader in sides.items()}
    key = list(spec.key)
    if spec.columns:
        compared = list(spec.columns)
    else:
        target_columns = loaded["target"].columns
        keys_lower = {k.lower() for k in key}
        compared = [
            actual
            for lower, actual in loaded["source"].columns.items()
            if lower in target_columns and lower not in keys_lower
        ]
    aggregate_columns = [
        c for c in spec.aggregates if c.lower() not in {x.lower() for x in key + compared}
    ]
    wanted = key + compared + aggregate_columns
    frames: dict[str, pd.DataFrame] = {}
    numeric: dict[str, dict[str, bool]] = {}
    for side in ("source", "target"):
        table = loaded[side]
        actual = _resolve(side, table, key, "key")
        actual += _resolve(side, table, compared, "compared")
        actual += _resolve(side, table, aggregate_columns, "aggregated")
        frame = sides[side].fetch(table, actual)
        frame.columns = wanted
        frames[side] = frame
        numeric[side] = {
            name: _numeric_column(table, real, frame[name])
            for name, real in zip(wanted, actual, strict=True)
        }
    for name in wanted:
        both = numeric["source"][name] and numeric["target"][name]
        for side in ("source", "target"):
            frames[side][name] = (
                frames[side][name].map(lambda v, n=both: _text(v, n)).astype(object)
            )

    report: dict[str, Any] = {
        "source_table": spec.source,
        "target_table": spec.target,
        "label": spec.label,
        "key": key,
        "columns": compared,
        "source_rows": loaded["source"].rows,
        "target_rows": loaded["target"].rows,
    }
    aggregates = []
    for column, functions in spec.aggregates.items():
        name = next(w for w in wanted if w.lower() == column.lower())
        both = numeric["source"][name] and numeric["target"][name]
        for function in functions:
            values = {
                side: _aggregate(function, list(frames[side][name]), both)
                for side in ("source", "target")
            }
            entry = {"column": column, "function": function, **values}
            entry["match"] = values["source"] == values["target"]
            if function == "sum" and not both:
                entry["note"] = "not numeric on both sides"
            aggregates.append(entry)

    null_keys: dict[str, int] = {}
    duplicates: dict[str, dict[str, Any]] = {}
    for side in ("source", "target"):
        frame = frames[side]
        nulls = frame[key].isna().any(axis=1)
        null_keys[side] = int(nulls.sum())
        frame = frame[~nulls]
        repeated = frame.duplicated(subset=key, keep="first")
        repeated_keys = _sorted_keys(sorted(set(_keys(frame[repeated], key))))
        duplicates[side] = {
            "count": len(repeated_keys),
            "rows": int(repeated.sum()),
            "sample": [dict(zip(key, k, strict=True)) for k in repeated_keys[:sample_size]],
        }
        frames[side] = frame[~repeated].reset_index(drop=True)

    comparison = datacompy.PandasCompare(
        frames["source"],
        frames["target"],
        join_columns=key,
        df1_name="source",
        df2_name="target",
        cast_column_names_lower=False,
    )
    missing = _sorted_keys(_keys(comparison.df1_unq_rows, key))
    extra = _sorted_keys(_keys(comparison.df2_unq_rows, key))
    both_rows = comparison.intersect_rows
    mismatches: dict[str, int] = {}
    differing = pd.Series(False, index=both_rows.index)
    for name in compared:
        unequal = ~both_rows[f"{name}_match"].astype(bool)
        mismatches[name] = int(unequal.sum())
        differing |= unequal
    changed_rows = both_rows[differing]
    changed_keys = _keys(changed_rows, key)
    order = sorted(
        range(len(changed_keys)), key=lambda i: tuple(_sort_key(v) for v in changed_keys[i])
    )
    changed_sample: list[dict[str, Any]] = []
    for position in order:
        if len(changed_sample) >= sample_size:
            break
        row = changed_rows.iloc[position]
        row_key = {k: row[k] for k in key}
        for name in compared:
            if not bool(row[f"{name}_match"]) and len(changed_sample) < sample_size:
                changed_sample.append(
                    {
                        "key": row_key,
                        "column": name,
                        "source": _plain(row[f"{name}_source"]),
                        "target": _plain(row[f"{name}_target"]),
                    }
                )
    report.update(
        {
            "matched_rows": len(both_rows),
            "missing": len(missing),
            "missing_sample": [dict(zip(key, k, strict=True)) for k in missing[:sample_size]],
            "extra": len(extra),
            "extra_sample": [dict(zip(key, k, strict=True)) for k in extra[:sample_size]],
            "changed": len(changed_rows),
            "changed_sample": changed_sample,
            "column_mismatches": mismatches,
            "duplicates": duplicates,
            "null_keys": null_keys,
            "aggregates": aggregates,
            "error": "",
        }
    )
    return report


def _failed_table(spec: TableSpec, error: MigrationSourceError) -> dict[str, Any]:
    return {
        "source_table": spec.source,
        "target_table": spec.target,
        "label": spec.label,
        "key": list(spec.key),
        "error": str(error),
    }


@dataclass
class _Sides:
    readers: dict[str, _DatabaseSide | _CsvSide] = field(default_factory=dict)

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()


@contextmanager
def _sides(source: Any, target: Any) -> Iterator[_Sides]:
    opened = _Sides()
    try:
        opened.readers["source"] = _open("source", source)
        opened.readers["target"] = _open("target", target)
        yield opened
    finally:
        opened.close()


def sides_verify(*, source: Any, target: Any, tables: Any) -> None:
    """Connect to both sides and look every table up; raise MigrationSourceError on a problem.

    CSV sides are not looked at (their extracts are uploaded later).
    """
    specs = tables_validate(tables)
    with _sides(source, target) as opened:
        for side, reader in opened.readers.items():
            if isinstance(reader, _DatabaseSide):
                for spec in specs:
                    table = reader.table(spec.table(side))
                    _resolve(side, table, list(spec.key), "key")
                    if spec.columns:
                        _resolve(side, table, list(spec.columns), "compared")


def compare(*, source: Any, target: Any, tables: Any, sample_size: int = 20) -> dict[str, Any]:
    """Compare `source` with `target` table by table; return the report.

    `source` and `target` are database URLs or mappings table → CSV path or binary file.
    A side that cannot be opened (host, login, database) raises MigrationSourceError; a table
    that cannot be read on either side is reported with its `error` and the others compared.
    Report: {"tables": [per table: source_table, target_table, label, key, columns,
    source_rows, target_rows, matched_rows, missing, missing_sample, extra, extra_sample,
    changed, changed_sample [{key, column, source, target}], column_mismatches {column: n},
    duplicates {side: {count, rows, sample}}, null_keys {side: n}, aggregates [{column,
    function, source, target, match}], error], "totals": {source_rows, target_rows, missing,
    extra, changed, duplicates, errors}}.
    """
    specs = tables_validate(tables)
    reports: list[dict[str, Any]] = []
    with _sides(source, target) as opened:
        for spec in specs:
            try:
                reports.append(_compare_table(spec, opened.readers, sample_size))
            except MigrationSourceError as exc:
                reports.append(_failed_table(spec, exc))
    totals = {
        name: sum(int(r.get(name, 0)) for r in reports)
        for name in ("source_rows", "target_rows", "missing", "extra", "changed")
    }
    totals["duplicates"] = sum(
        d["count"] for r in reports for d in r.get("duplicates", {}).values()
    )
    totals["errors"] = sum(1 for r in reports if r["error"])
    return {"tables": reports, "totals": totals}
