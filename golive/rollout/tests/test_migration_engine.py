"""The migration comparison engine on real SQLite databases and CSV extracts."""

import socket
import sqlite3
from pathlib import Path

import pytest

from golive.rollout.migration import (
    MigrationConfigError,
    MigrationSourceError,
    compare,
    csv_read,
    database_url_check,
    sides_verify,
    tables_validate,
)

TABLES = [
    {
        "source": "customers",
        "target": "customer",
        "key": ["id"],
        "aggregates": {"balance": ["sum", "count", "checksum"]},
    },
    {"source": "orders", "target": "orders", "key": ["customer_id", "number"], "columns": []},
]


@pytest.fixture
def postgres_available():
    """Skip when no PostgreSQL answers on 127.0.0.1:5432 (the wrong-credentials test needs one)."""
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432: no server to refuse a login")


def sqlite_db(path: Path, script: str) -> str:
    """Create a SQLite database at `path` from `script`; return its SQLAlchemy URL."""
    connection = sqlite3.connect(path)
    connection.executescript(script)
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"


SOURCE_SQL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT, balance NUMERIC);
INSERT INTO customers VALUES
  (1, 'Ada', 'London', 10.50), (2, 'Bob', 'Paris', 20), (3, 'Cy', 'Rome', 0),
  (4, 'Di', 'Oslo', 5), (5, 'Ed', 'Bern', 7), (6, 'Flo', NULL, 1);
CREATE TABLE orders (customer_id INTEGER, number TEXT, total REAL, PRIMARY KEY (customer_id, number));
INSERT INTO orders VALUES (1, 'A1', 9.5), (1, 'A2', 3), (2, 'B1', 4), (3, 'C1', 1);
"""

# Planted: customer 4 missing, 7 extra, 2 renamed, 5 moved city and balance, 6 city set.
# Orders: (3, C1) missing, (2, B2) extra, (1, A2) total changed.
TARGET_SQL = """
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, city TEXT, balance NUMERIC);
INSERT INTO customer VALUES
  (1, 'Ada', 'London', 10.5), (2, 'Robert', 'Paris', 20), (3, 'Cy', 'Rome', 0),
  (5, 'Ed', 'Basel', 8), (6, 'Flo', 'Nice', 1), (7, 'Gus', 'Lyon', 2);
CREATE TABLE orders (customer_id INTEGER, number TEXT, total REAL, PRIMARY KEY (customer_id, number));
INSERT INTO orders VALUES (1, 'A1', 9.5), (1, 'A2', 3.25), (2, 'B1', 4), (2, 'B2', 6);
"""


@pytest.fixture
def databases(tmp_path):
    return (
        sqlite_db(tmp_path / "source.db", SOURCE_SQL),
        sqlite_db(tmp_path / "target.db", TARGET_SQL),
    )


def table(report, label):
    return next(t for t in report["tables"] if t["source_table"] == label)


class CompareDatabasesTests:
    def test_planted_differences_found_exactly(self, databases):
        """Missing, extra and changed rows planted in two SQLite databases are found exactly."""
        source, target = databases
        report = compare(source=source, target=target, tables=TABLES, sample_size=20)
        customers = table(report, "customers")
        assert customers["error"] == ""
        assert customers["label"] == "customers → customer"
        assert (customers["source_rows"], customers["target_rows"]) == (6, 6)
        assert customers["columns"] == ["name", "city", "balance"]
        assert customers["missing"] == 1 and customers["missing_sample"] == [{"id": "4"}]
        assert customers["extra"] == 1 and customers["extra_sample"] == [{"id": "7"}]
        assert customers["changed"] == 3
        assert customers["changed_sample"] == [
            {"key": {"id": "2"}, "column": "name", "source": "Bob", "target": "Robert"},
            {"key": {"id": "5"}, "column": "city", "source": "Bern", "target": "Basel"},
            {"key": {"id": "5"}, "column": "balance", "source": "7", "target": "8"},
            {"key": {"id": "6"}, "column": "city", "source": None, "target": "Nice"},
        ]
        assert customers["column_mismatches"] == {"name": 1, "city": 2, "balance": 1}
        assert customers["matched_rows"] == 5
        orders = table(report, "orders")
        assert orders["missing_sample"] == [{"customer_id": "3", "number": "C1"}]
        assert orders["extra_sample"] == [{"customer_id": "2", "number": "B2"}]
        assert orders["changed_sample"] == [
            {
                "key": {"customer_id": "1", "number": "A2"},
                "column": "total",
                "source": "3",
                "target": "3.25",
            }
        ]
        assert report["totals"] == {
            "source_rows": 10,
            "target_rows": 10,
            "missing": 2,
            "extra": 2,
            "changed": 4,
            "duplicates": 0,
            "errors": 0,
        }

    def test_aggregates_on_both_sides(self, databases):
        """Sum, count and checksum are computed on both sides; equal columns match."""
        source, target = databases
        report = compare(source=source, target=target, tables=TABLES)
        aggregates = {a["function"]: a for a in table(report, "customers")["aggregates"]}
        assert aggregates["sum"]["source"] == "43.5"
        assert aggregates["sum"]["target"] == "41.5"
        assert aggregates["sum"]["match"] is False
        assert aggregates["count"]["source"] == aggregates["count"]["target"] == 6
        assert aggregates["checksum"]["match"] is False

    def test_sum_of_a_real_column(self, databases):
        """A REAL (floating-point) column is numeric: its sum is computed on both sides."""
        source, target = databases
        tables = [
            {
                "source": "orders",
                "target": "orders",
                "key": ["customer_id", "number"],
                "aggregates": {"total": ["sum"]},
            }
        ]
        report = compare(source=source, target=target, tables=tables)
        (total,) = table(report, "orders")["aggregates"]
        assert (total["source"], total["target"], total["match"]) == ("17.5", "22.75", False)

    def test_checksum_ignores_row_order(self, tmp_path):
        """The checksum is the same for the same values in another order."""
        a = sqlite_db(
            tmp_path / "a.db",
            "CREATE TABLE t (id INT, v TEXT); INSERT INTO t VALUES (1,'x'),(2,'y');",
        )
        b = sqlite_db(
            tmp_path / "b.db",
            "CREATE TABLE t (id INT, v TEXT); INSERT INTO t VALUES (2,'y'),(1,'x');",
        )
        spec = [
            {
                "source": "t",
                "target": "t",
                "key": ["id"],
                "aggregates": {"v": ["checksum", "min", "max"]},
            }
        ]
        report = compare(source=a, target=b, tables=spec)
        assert all(agg["match"] for agg in report["tables"][0]["aggregates"])
        assert report["totals"]["changed"] == 0

    def test_sample_size_limits_samples_not_counts(self, tmp_path):
        """Only `sample_size` keys are listed; the counts are complete."""
        rows = ",".join(f"({i}, 'v')" for i in range(1, 51))
        a = sqlite_db(
            tmp_path / "a.db", f"CREATE TABLE t (id INT, v TEXT); INSERT INTO t VALUES {rows};"
        )
        b = sqlite_db(tmp_path / "b.db", "CREATE TABLE t (id INT, v TEXT);")
        report = compare(source=a, target=b, tables=[{"source": "t", "key": ["id"]}], sample_size=3)
        t = report["tables"][0]
        assert t["missing"] == 50
        assert t["missing_sample"] == [{"id": "1"}, {"id": "2"}, {"id": "3"}]

    def test_duplicate_keys_reported(self, tmp_path):
        """Keys present twice on a side are counted and listed."""
        a = sqlite_db(
            tmp_path / "a.db",
            "CREATE TABLE t (id INT, v TEXT); INSERT INTO t VALUES (1,'a'),(1,'b'),(2,'c');",
        )
        b = sqlite_db(
            tmp_path / "b.db",
            "CREATE TABLE t (id INT, v TEXT); INSERT INTO t VALUES (1,'a'),(2,'c');",
        )
        report = compare(source=a, target=b, tables=[{"source": "t", "key": ["id"]}])
        t = report["tables"][0]
        assert t["duplicates"]["source"] == {"count": 1, "rows": 1, "sample": [{"id": "1"}]}
        assert t["duplicates"]["target"]["count"] == 0
        assert report["totals"]["duplicates"] == 1
        assert t["changed"] == 0

    def test_missing_table_and_column_named(self, databases):
        """A missing table or column is reported on its table entry, naming it; others compared."""
        source, target = databases
        spec = [
            {"source": "nosuch", "target": "customer", "key": ["id"]},
            {"source": "customers", "target": "customer", "key": ["id"], "columns": ["email"]},
            {"source": "orders", "key": ["customer_id", "number"]},
        ]
        report = compare(source=source, target=target, tables=spec)
        errors = [t["error"] for t in report["tables"]]
        assert errors[0] == "source: the table 'nosuch' does not exist in " + source + "."
        assert "no compared column 'email'" in errors[1] and errors[1].startswith("source:")
        assert errors[2] == ""
        assert report["totals"]["errors"] == 2

    def test_missing_sqlite_file(self, tmp_path, databases):
        """A SQLite URL naming no file is refused (and no empty database is created)."""
        with pytest.raises(MigrationSourceError) as caught:
            compare(source=f"sqlite:///{tmp_path}/none.db", target=databases[1], tables=TABLES)
        assert caught.value.side == "source"
        assert "does not exist" in caught.value.message
        assert not (tmp_path / "none.db").exists()


class CsvTests:
    def test_csv_against_sqlite(self, tmp_path, databases):
        """A CSV extract compares with a database table; '007' equals 7 in numeric columns."""
        extract = tmp_path / "customers.csv"
        extract.write_text(
            "ID,name,city,balance\n"
            "001,Ada,London,10.50\n2,Robert,Paris,20\n3,Cy,Rome,0.0\n"
            "5,Ed,Basel,8\n6,Flo,Nice,1\n7,Gus,Lyon,2\n8,Hal,Kiel,3\n"
        )
        spec = [
            {
                "source": "customers",
                "target": "customer",
                "key": ["id"],
                "aggregates": {"balance": ["sum"]},
            }
        ]
        report = compare(source={"customers": extract}, target=databases[1], tables=spec)
        t = report["tables"][0]
        assert t["error"] == ""
        assert t["source_rows"] == 7
        assert t["missing_sample"] == [{"id": "8"}]
        assert t["extra"] == 0 and t["changed"] == 0
        assert t["aggregates"][0]["match"] is False  # the missing row's balance
        assert t["aggregates"][0]["source"] == "44.5"

    def test_text_with_leading_zeros_differs_from_text(self, tmp_path):
        """In text columns '007' and '7' differ (a code lost its zeros)."""
        a = tmp_path / "a.csv"
        a.write_text("id,code\n1,007\n")
        b = tmp_path / "b.csv"
        b.write_text("id,code\n1,x7\n")
        report = compare(source={"t": a}, target={"t": b}, tables=[{"source": "t", "key": ["id"]}])
        assert report["tables"][0]["changed_sample"][0]["source"] == "007"

    def test_missing_extract(self, tmp_path, databases):
        """A table without an uploaded extract is named."""
        report = compare(
            source={},
            target=databases[1],
            tables=[{"source": "customers", "target": "customer", "key": ["id"]}],
        )
        assert report["tables"][0]["error"] == (
            "source: no CSV extract of the table 'customers' has been uploaded."
        )

    def test_parse_error_names_file_and_line(self, tmp_path):
        """A CSV that cannot be parsed is refused naming the file and the line."""
        bad = tmp_path / "bad.csv"
        bad.write_text("id,name\n1,a\n2,b,extra\n")
        with pytest.raises(MigrationSourceError) as caught:
            csv_read(bad, side="source")
        assert str(bad) in caught.value.message
        assert "line 3" in caught.value.message

    def test_header_problems(self, tmp_path):
        """An empty file, a repeated header name or non-UTF-8 bytes are refused."""
        for content, expected in [
            (b"", "empty"),
            (b"id,ID\n1,2\n", "repeats"),
            (b"id,name\n1,\xff\n", "line 2: not UTF-8"),
        ]:
            path = tmp_path / "x.csv"
            path.write_bytes(content)
            with pytest.raises(MigrationSourceError, match=expected):
                csv_read(path)


class ConfigTests:
    def test_entries_validated_naming_the_entry(self):
        """Every faulty table entry is named with what is wrong."""
        with pytest.raises(MigrationConfigError) as caught:
            tables_validate(
                [
                    {"source": "a", "key": []},
                    {"source": "b", "key": ["id"], "aggregates": {"x": ["avg"]}},
                    {"source": "c", "key": ["id"], "colour": 1},
                    "d",
                ]
            )
        messages = caught.value.messages
        assert messages[0].startswith("tables[0] (a): key:")
        assert "tables[1] (b): aggregates 'x'" in messages[1] and "not avg" in messages[1]
        assert "unknown field colour" in messages[2]
        assert messages[3].startswith("tables[3]:")

    def test_empty_and_duplicate(self):
        """No tables, or the same pair twice, is refused."""
        with pytest.raises(MigrationConfigError):
            tables_validate([])
        with pytest.raises(MigrationConfigError, match="listed twice"):
            tables_validate([{"source": "a", "key": ["id"]}, {"source": "a", "key": "id"}])

    def test_target_defaults_to_source(self):
        """An entry without target compares the same table name."""
        spec = tables_validate([{"source": "a", "key": "id"}])[0]
        assert (spec.target, spec.key) == ("a", ("id",))

    def test_url_check(self):
        """Bad URLs and unknown dialects are refused without showing the password."""
        with pytest.raises(MigrationConfigError, match="not a database URL"):
            database_url_check("not a url")
        with pytest.raises(MigrationConfigError, match="unknown database dialect") as caught:
            database_url_check("nosuchdb+drv://u:hunter2@h/db")
        assert "hunter2" not in str(caught.value)
        assert database_url_check("sqlite:///x.db").drivername == "sqlite"


class ConnectionErrorTests:
    def test_unreachable_host(self, databases):
        """An unreachable server is named by host and port."""
        with pytest.raises(MigrationSourceError) as caught:
            compare(
                source="postgresql+psycopg://u:p4ssw0rd@127.0.0.1:1/x",
                target=databases[1],
                tables=TABLES,
            )
        assert caught.value.side == "source"
        assert "cannot reach the database server at 127.0.0.1:1" in caught.value.message
        assert "p4ssw0rd" not in str(caught.value)

    def test_wrong_credentials(self, databases, postgres_available):
        """Wrong credentials are answered naming the user, not the password."""
        with pytest.raises(MigrationSourceError) as caught:
            sides_verify(
                source=databases[0],
                target="postgresql+psycopg://nosuchuser:s3cr3t@127.0.0.1:5432/postgres",
                tables=TABLES,
            )
        assert caught.value.side == "target"
        assert "authentication failed for user 'nosuchuser'" in caught.value.message
        assert "s3cr3t" not in str(caught.value)

    def test_missing_database_named(self, databases, postgres_available):
        """A database that does not exist on the server is named."""
        with pytest.raises(MigrationSourceError) as caught:
            sides_verify(
                source="postgresql+psycopg://postgres@127.0.0.1:5432/golive_no_such_db",
                target=databases[1],
                tables=TABLES,
            )
        assert caught.value.message == (
            "the database 'golive_no_such_db' does not exist on 127.0.0.1:5432."
        )

    def test_verify_finds_missing_tables(self, databases):
        """Verification looks each table and key column up on database sides."""
        sides_verify(source=databases[0], target=databases[1], tables=TABLES)
        with pytest.raises(MigrationSourceError, match="'customers' does not exist"):
            sides_verify(
                source=databases[0],
                target=databases[1],
                tables=[{"source": "customers", "key": ["id"]}],
            )
