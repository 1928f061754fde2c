"""MinimalRestAPI's OData paging against the real SAP CAP server (fixture ``cap_server``).

CAP (page limit 100) ignores ``odata.maxpagesize``, sends relative nextLinks and keeps
paging past ``$top``: the client must still return exactly what was asked.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.url_helpers import build_odata_filter, odata_literal

pytestmark = pytest.mark.integration

CAP_CUSTOMERS = 2500


@pytest.fixture
def api(cap_server: str) -> Iterator[MinimalRestAPI]:
    with MinimalRestAPI(base_url=cap_server) as client:
        yield client


@pytest.mark.parametrize("page_size", [50, 100, 1000])
def test_reads_all_2500_customers_for_each_page_size(
    api: MinimalRestAPI, cap_server: str, page_size: int
) -> None:
    rows = api.get_odata_entities(cap_server, "Customers", page_size=page_size)
    ids = [row["ID"] for row in rows]
    assert len(ids) == CAP_CUSTOMERS
    assert ids == list(range(1, CAP_CUSTOMERS + 1))


def test_top_250_returns_exactly_250_although_cap_pages_past_top(
    api: MinimalRestAPI, cap_server: str
) -> None:
    rows = api.get_odata_entities(cap_server, "Customers", top=250, page_size=100)
    assert [row["ID"] for row in rows] == list(range(1, 251))


def test_filter_with_a_quote_in_the_value(api: MinimalRestAPI, cap_server: str) -> None:
    name = "Anna O'Brien"
    rows = api.get_odata_entities(
        cap_server, "Customers", odata_filter=f"Name eq {odata_literal(name)}"
    )
    assert len(rows) == 22
    assert {row["Name"] for row in rows} == {name}


def test_select_and_filtered_helper(api: MinimalRestAPI, cap_server: str) -> None:
    rows = api.get_odata_entities_filtered(
        cap_server,
        "Customers",
        [("Country", "eq", "FR"), ("Name", "eq", "Liam O'Brien")],
        select_fields=["ID", "Name"],
    )
    assert rows
    assert all(set(row) <= {"ID", "Name", "@odata.etag"} for row in rows)
    assert build_odata_filter([("Name", "eq", "Liam O'Brien")]) == "Name eq 'Liam O''Brien'"


def test_streaming_iterator_reads_every_row(api: MinimalRestAPI, cap_server: str) -> None:
    count = sum(1 for _ in api.iter_odata_entities(cap_server, "Customers"))
    assert count == CAP_CUSTOMERS
