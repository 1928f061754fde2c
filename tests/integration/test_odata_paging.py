"""OData v4 paging against the local server: nextLink forms, $top, maxpagesize, $skip
paging, failing pages, link loops, filters with quotes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from txo_runtime.api_common import RetryPolicy
from txo_runtime.api_factory import create_rest_api
from txo_runtime.exceptions import ApiOperationError, ApiValidationError, EntityNotFoundError
from txo_runtime.rest_api_helpers import MinimalRestAPI, ODataLimits, ODataPagingError
from txo_runtime.testing import LocalApiServer
from txo_runtime.url_helpers import odata_literal

NAMES = ["O'Brien", "Smith", "Jones", "Müller", "Lee"]


def behavior_section() -> dict[str, Any]:
    """A valid ``script-behavior`` section without retries or limits."""
    return {
        "api-timeouts": {
            "rest-timeout-seconds": 10, "soap-timeout-seconds": 10, "wsdl-timeout-seconds": 10,
            "async-max-wait": 10, "async-poll-interval": 1,
        },
        "retry-strategy": {"max-retries": 0, "backoff-factor": 0},
        "jitter": {"min-factor": 1.0, "max-factor": 1.0},
        "rate-limiting": {"enabled": False, "calls-per-second": 1, "burst-size": 1},
        "circuit-breaker": {"enabled": False, "failure-threshold": 1, "timeout-seconds": 1},
        "batch-handling": {"read-batch-size": 10, "update-batch-size": 10},
    }  # fmt: skip


def customers(count: int) -> list[dict]:
    return [
        {"ID": i, "Name": NAMES[i % len(NAMES)], "Country": "DE" if i % 2 else "US"}
        for i in range(1, count + 1)
    ]


@pytest.fixture
def api(txo_api_server: LocalApiServer) -> Iterator[MinimalRestAPI]:
    policy = RetryPolicy(max_retries=2, backoff_factor=0)
    with MinimalRestAPI(base_url=txo_api_server.odata_url, retry_policy=policy) as client:
        yield client


@pytest.mark.parametrize("next_link", ["relative", "absolute", "odata3"])
def test_all_rows_are_read_following_every_link_form(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, next_link: str
) -> None:
    txo_api_server.add_entity_set("Customers", customers(1234), page_size=100, next_link=next_link)
    rows = api.get_odata_entities(txo_api_server.odata_url, "Customers")
    assert [row["ID"] for row in rows] == list(range(1, 1235))
    assert txo_api_server.hits("/odata/Customers") == 13


@pytest.mark.parametrize("page_size", [7, 100, 1000])
def test_page_size_is_asked_with_prefer_maxpagesize(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, page_size: int
) -> None:
    txo_api_server.add_entity_set("Customers", customers(250), page_size=100)
    rows = api.get_odata_entities(None, "Customers", page_size=page_size)
    assert len(rows) == 250
    for request in txo_api_server.requests:
        assert request.headers["Prefer"] == f"odata.maxpagesize={page_size}"
        assert "return=representation" not in request.headers.get("Prefer", "")
    expected_pages = -(-250 // min(page_size, 100))
    assert txo_api_server.hits("/odata/Customers") == expected_pages


def test_callers_top_is_enforced_when_the_server_pages_past_it(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set(
        "Customers", customers(2500), page_size=100, ignore_top_in_paging=True
    )
    rows = api.get_odata_entities(None, "Customers", top=250)
    assert [row["ID"] for row in rows] == list(range(1, 251))
    assert txo_api_server.hits("/odata/Customers") == 3  # stops fetching at 250


def test_filter_select_orderby_are_sent_and_quotes_escaped(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set("Customers", customers(500), page_size=40)
    rows = api.get_odata_entities(
        None,
        "Customers",
        odata_filter=f"Name eq {odata_literal(NAMES[0])}",
        select_fields=["ID", "Name"],
        orderby="ID desc",
    )
    assert len(rows) == 100
    assert all(row == {"ID": row["ID"], "Name": "O'Brien"} for row in rows)
    assert rows[0]["ID"] > rows[-1]["ID"]
    first = txo_api_server.requests[0]
    assert first.query["$filter"] == "Name eq 'O''Brien'"
    assert " " not in first.raw_target and "+" not in first.raw_target


def test_filtered_helper_uses_build_odata_filter(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set("Customers", customers(100), page_size=30)
    rows = api.get_odata_entities_filtered(
        None, "Customers", {"Country": "eq 'DE'", "Name": "ne 'Smith'"}, page_size=30
    )
    assert rows and all(r["Country"] == "DE" and r["Name"] != "Smith" for r in rows)
    assert len(rows) == sum(1 for r in customers(100) if r["ID"] % 2 and r["Name"] != "Smith")


def test_failed_page_3_of_5_raises_saying_2_pages_were_read(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set("Customers", customers(500), page_size=100)
    txo_api_server.fail_page("Customers", 3, status=500)
    with pytest.raises(ODataPagingError) as info:
        api.get_odata_entities(None, "Customers")
    error = info.value
    assert isinstance(error, ApiOperationError)
    assert "failed on page 3 after 2 pages (200 rows)" in str(error)
    assert (error.pages_fetched, error.rows_fetched, error.status_code) == (2, 200, 500)
    assert error.attempts == 3  # the failing page was retried (GET is idempotent)
    assert txo_api_server.hits("/odata/Customers") == 2 + 3


def test_iterator_yields_pages_before_a_failure_is_raised(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set("Customers", customers(500), page_size=100)
    txo_api_server.fail_page("Customers", 4, status=503)
    seen: list[int] = []
    with pytest.raises(ODataPagingError, match="3 pages"):
        for row in api.iter_odata_entities(None, "Customers"):
            seen.append(row["ID"])
    assert seen == list(range(1, 301))


def test_a_failing_first_page_raises_the_specific_error(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set("Customers", customers(10))
    with pytest.raises(ApiValidationError):
        api.get_odata_entities(None, "Customers", odata_filter="Nope eq 1")
    with pytest.raises(EntityNotFoundError):
        api.get_odata_entities(None, "Unknown")


def test_a_nextlink_loop_is_detected(txo_api_server: LocalApiServer, api: MinimalRestAPI) -> None:
    looping = {
        "@odata.context": f"{txo_api_server.odata_url}/$metadata#Loop",
        "value": [{"ID": 1}],
        "@odata.nextLink": "Loop?$skiptoken=1",
    }
    txo_api_server.add_fault("/odata/Loop", status=200, body=looping)
    with pytest.raises(ODataPagingError, match="same nextLink twice"):
        api.get_odata_entities(None, "Loop")
    assert txo_api_server.hits("/odata/Loop") == 2


def test_relative_nextlink_resolves_against_the_context_url(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    page1 = {
        "@odata.context": "$metadata#Customers",
        "value": [{"ID": 1}],
        "@odata.nextLink": "Customers?$skiptoken=1",
    }
    txo_api_server.add_entity_set("Customers", customers(3), page_size=2)
    txo_api_server.add_fault("/odata/Customers", status=200, body=page1, times=1)
    rows = api.get_odata_entities(None, "Customers")
    assert [r["ID"] for r in rows] == [1, 2, 3]
    assert txo_api_server.requests[1].path == "/odata/Customers"
    assert txo_api_server.requests[1].query["$skiptoken"] == "1"


def test_skip_paging_for_servers_without_nextlink(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, caplog: pytest.LogCaptureFixture
) -> None:
    txo_api_server.add_entity_set("Customers", customers(230), page_size=1000, next_link="none")
    # Without skip paging a server that honours maxpagesize but sends no link looks done:
    # the client warns instead of staying silent.
    without = api.get_odata_entities(None, "Customers", page_size=50)
    assert len(without) == 50
    assert "skip_paging=True" in caplog.text
    txo_api_server.reset()
    rows = api.get_odata_entities(None, "Customers", page_size=50, skip_paging=True)
    assert [r["ID"] for r in rows] == list(range(1, 231))
    skips = [r.query.get("$skip") for r in txo_api_server.requests]
    assert skips == [None, "50", "100", "150", "200"]
    assert all(r.query["$top"] == "50" for r in txo_api_server.requests)


def test_skip_paging_respects_top(txo_api_server: LocalApiServer, api: MinimalRestAPI) -> None:
    txo_api_server.add_entity_set("Customers", customers(230), page_size=1000, next_link="none")
    rows = api.get_odata_entities(None, "Customers", page_size=50, top=120, skip_paging=True)
    assert [r["ID"] for r in rows] == list(range(1, 121))
    assert [r.query["$top"] for r in txo_api_server.requests] == ["50", "50", "20"]


def test_a_non_collection_response_is_an_error_not_an_empty_list(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_fault("/odata/Weird", status=200, body={"items": []})
    with pytest.raises(ODataPagingError, match="not an OData collection"):
        api.get_odata_entities(None, "Weird")


def test_a_full_last_page_after_next_links_is_not_suspicious(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, caplog: pytest.LogCaptureFixture
) -> None:
    txo_api_server.add_entity_set("Customers", customers(250), page_size=50)
    with caplog.at_level("WARNING"):
        rows = api.get_odata_entities(None, "Customers", page_size=50)
    assert len(rows) == 250
    assert "without a nextLink" not in caplog.text


def test_a_full_first_page_without_next_link_warns_about_skip_paging(
    txo_api_server: LocalApiServer, api: MinimalRestAPI, caplog: pytest.LogCaptureFixture
) -> None:
    txo_api_server.add_entity_set("Customers", customers(250), page_size=50, next_link="none")
    with caplog.at_level("WARNING"):
        rows = api.get_odata_entities(None, "Customers", page_size=50)
    assert len(rows) == 50
    assert "skip_paging=True" in caplog.text


# --------------------------------------------------------------------------- bounded reads
@pytest.mark.parametrize(
    ("endless", "limits", "reason"),
    [
        ("empty", ODataLimits(max_empty_pages=3), "3 empty pages in a row"),
        ("repeat", ODataLimits(max_repeated_pages=2), "2 pages in a row repeat rows"),
        ("fresh", ODataLimits(max_pages=7), "max-pages=7"),
    ],
)
@pytest.mark.parametrize("reader", ["get", "iter"])
def test_a_server_whose_next_link_never_ends_is_stopped_with_pages_and_rows_named(
    txo_api_server: LocalApiServer,
    api: MinimalRestAPI,
    endless: str,
    limits: ODataLimits,
    reason: str,
    reader: str,
) -> None:
    txo_api_server.add_entity_set("Loop", customers(25), page_size=10, endless=endless)
    with pytest.raises(ODataPagingError, match=reason) as caught:
        if reader == "get":
            api.get_odata_entities(None, "Loop", limits=limits)
        else:
            list(api.iter_odata_entities(None, "Loop", limits=limits))
    error = caught.value
    assert error.pages_fetched >= 3 and error.rows_fetched >= 25
    assert f"{error.pages_fetched} pages ({error.rows_fetched} rows)" in str(error)
    assert txo_api_server.hits("/odata/Loop") == error.pages_fetched <= 8


def test_the_default_bounds_stop_a_looping_server_without_configuration(
    txo_api_server: LocalApiServer, api: MinimalRestAPI
) -> None:
    txo_api_server.add_entity_set("Loop", customers(5), page_size=5, endless="repeat")
    with pytest.raises(ODataPagingError, match="repeat rows already read"):
        api.get_odata_entities(None, "Loop")
    assert txo_api_server.hits("/odata/Loop") == 1 + ODataLimits().max_repeated_pages


def test_odata_bounds_come_from_the_config_odata_section(txo_api_server: LocalApiServer) -> None:
    config = {
        "global": {"api-base-url": txo_api_server.odata_url},
        "script-behavior": behavior_section(),
        "odata": {"max-pages": 4},
    }
    txo_api_server.add_entity_set("Loop", customers(1), page_size=1, endless="fresh")
    with create_rest_api(config, require_auth=False) as api:
        assert api.odata_limits == ODataLimits(max_pages=4)
        with pytest.raises(ODataPagingError, match="max-pages=4"):
            api.get_odata_entities(None, "Loop")
    assert txo_api_server.hits("/odata/Loop") == 4


def test_a_long_odata_pull_logs_progress_lines_with_rows_and_rate(
    txo_api_server: LocalApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    txo_api_server.add_entity_set("Customers", customers(30), page_size=10)
    ticks = iter(range(0, 1000, 11))  # a fake clock: each reading is 11 s after the last
    with (
        MinimalRestAPI(base_url=txo_api_server.odata_url, clock=lambda: float(next(ticks))) as api,
        caplog.at_level("INFO", logger="txo_runtime.api_common"),
    ):
        rows = api.get_odata_entities(None, "Customers")
    assert len(rows) == 30
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("_progress")]
    assert lines and lines[-1].startswith("OData Customers: 30 rows (")
    assert "rows/s" in lines[-1]


def test_odata_pull_is_streamed_into_a_csv_file_while_pages_are_still_coming(
    api: MinimalRestAPI, txo_api_server: LocalApiServer, tmp_path: Any
) -> None:
    from txo_runtime.load_n_save import TxoDataHandler
    from txo_runtime.path_helpers import Dir

    txo_api_server.add_entity_set("Customers", customers(2500), page_size=100)
    handler = TxoDataHandler(root=tmp_path)
    pages_when_first_row_arrived: list[int] = []

    def watched() -> Iterator[dict[str, Any]]:
        for row in api.iter_odata_entities(None, "Customers"):
            if not pages_when_first_row_arrived:
                pages_when_first_row_arrived.append(txo_api_server.hits("/odata/Customers"))
            yield row

    handler.save_rows(watched(), Dir.OUTPUT, "customers.csv")

    frame = handler.load_csv(Dir.OUTPUT, "customers.csv")
    assert frame["ID"].tolist() == list(range(1, 2501))
    assert frame["Name"].iloc[0] == NAMES[1]
    assert pages_when_first_row_arrived == [1]  # the writer took rows before page 2 existed
    assert txo_api_server.hits("/odata/Customers") == 25
