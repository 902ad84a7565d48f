"""Reading what wrk and pgbench print."""

from __future__ import annotations

import pytest

from bench.load import WRK_TIMEOUT, HttpRequest, LoadSettings, parse_wrk_output, wrk_command
from bench.process import BenchError
from bench.raw import parse_pgbench_output, pgbench_error

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8731/dynamic-entity/products?page%5Boffset%5D=0
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    28.52ms   20.11ms 120.70ms   80.00%
  1700 requests in 3.00s, 10.50MB read
Requests/sec:    566.12
BENCH_RESULT {"requests": 1700, "duration_us": 3002921, "rps": 566.12, "mean_ms": 28.520, \
"p50_ms": 24.400, "p90_ms": 51.200, "p99_ms": 120.700, "max_ms": 130.100, "socket_errors": 2, \
"non2xx": 7, "bytes": 11010048}
"""

PGBENCH_OUTPUT = """\
pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: /tmp/a_flat.sql
query mode: prepared
number of clients: 16
number of transactions actually processed: 201602
number of failed transactions: 3 (0.001%)
latency average = 0.790 ms
initial connection time = 12.314 ms
tps = 20184.735123 (without initial connection time)
"""


def test_wrk_result_line_gives_rate_latencies_and_errors() -> None:
    result = parse_wrk_output(WRK_OUTPUT)
    assert result.rps == 566.12
    assert result.requests == 1700
    assert (result.p50_ms, result.p90_ms, result.p99_ms) == (24.4, 51.2, 120.7)
    assert result.mean_ms == 28.52
    assert result.max_ms == 130.1
    assert (result.socket_errors, result.non2xx) == (2, 7)


def test_wrk_output_without_result_line_is_an_error_quoting_it() -> None:
    with pytest.raises(BenchError, match="no result line") as raised:
        parse_wrk_output("unable to connect to 127.0.0.1:8731 Connection refused\n")
    assert "Connection refused" in str(raised.value)


def test_wrk_result_line_missing_a_figure_is_an_error() -> None:
    with pytest.raises(BenchError, match="unreadable wrk result"):
        parse_wrk_output('BENCH_RESULT {"requests": 10, "rps": 3.3}\n')


def test_pgbench_summary_gives_tps_latency_and_counts() -> None:
    result = parse_pgbench_output(PGBENCH_OUTPUT)
    assert result.tps == 20184.735123
    assert result.mean_ms == 0.79
    assert result.transactions == 201602
    assert result.failed == 3


def test_pgbench_output_without_summary_is_an_error() -> None:
    with pytest.raises(BenchError, match="unreadable pgbench output"):
        parse_pgbench_output("pgbench: error: connection to server failed\n")


PGBENCH_ERRORS = """\
pgbench: error: ERROR:  relation "nowhere" does not exist
LINE 2:  nowhere;
         ^
pgbench: error: ERROR:  relation "nowhere" does not exist
LINE 2:  nowhere;
         ^
pgbench: error: client 2 script 0 aborted in command 0 query 0: ERROR:  prepared statement \
"P_0" does not exist
pgbench: error: client 0 script 0 aborted in command 0 query 0: ERROR:  prepared statement \
"P_0" does not exist
pgbench: error: Run was aborted; the above results are incomplete.
"""


def test_pgbench_errors_come_down_to_the_first_one_and_the_clients_it_stopped() -> None:
    assert pgbench_error(PGBENCH_ERRORS) == (
        'ERROR: relation "nowhere" does not exist (2 clients aborted)'
    )


def test_pgbench_error_of_one_client_and_of_none() -> None:
    aborted = "pgbench: error: client 0 script 0 aborted in command 1 query 0: ERROR:  boom\n"
    assert pgbench_error(aborted) == "ERROR: boom (1 client aborted)"
    refused = 'pgbench: error: invalid variable definition: "a="\n'
    assert pgbench_error(refused) == 'invalid variable definition: "a="'
    assert pgbench_error("") is None


def test_wrk_waits_for_slow_answers_instead_of_dropping_them() -> None:
    command = wrk_command(HttpRequest("http://127.0.0.1:1/x"), LoadSettings(duration=3), 3)
    assert command[command.index("--timeout") + 1] == f"{WRK_TIMEOUT}s"
    assert WRK_TIMEOUT >= 30
