"""The ``cap_server`` fixture serves the real CAP behaviour the runtime client must handle."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode, urljoin

import pytest
import requests

pytestmark = pytest.mark.integration

CAP_DIR = Path(__file__).resolve().parent


def test_first_page_has_the_server_limit_and_a_relative_next_link(cap_server: str) -> None:
    page = requests.get(f"{cap_server}Customers", timeout=10).json()
    assert len(page["value"]) == 100
    assert page["@odata.nextLink"] == "Customers?%24skiptoken=100"
    assert page["value"][0]["ID"] == 1


def test_following_next_links_reads_all_2500_customers(cap_server: str) -> None:
    ids: list[int] = []
    url: str | None = f"{cap_server}Customers"
    with requests.Session() as session:
        while url:
            page = session.get(url, timeout=10).json()
            ids.extend(row["ID"] for row in page["value"])
            link = page.get("@odata.nextLink")
            url = urljoin(url, link) if link else None
    assert ids == list(range(1, 2501))


def _get(url: str, params: dict[str, str]) -> requests.Response:
    # %20 for spaces: CAP rejects the '+' that requests' params= would send (400).
    return requests.get(f"{url}?{urlencode(params, quote_via=quote)}", timeout=10)


def test_quote_in_a_filter_value_must_be_doubled(cap_server: str) -> None:
    doubled = {"$filter": "Name eq 'Anna O''Brien'", "$count": "true", "$top": "1"}
    page = _get(f"{cap_server}Customers", doubled).json()
    assert page["@odata.count"] == 22 and page["value"][0]["Name"] == "Anna O'Brien"
    assert _get(f"{cap_server}Customers", {"$filter": "Name eq 'Anna O'Brien'"}).status_code == 400


def test_cap_rejects_plus_as_space_in_the_query(cap_server: str) -> None:
    response = requests.get(
        f"{cap_server}Customers", params={"$filter": "ID eq 1"}, timeout=10
    )  # requests encodes the spaces as '+'
    assert response.status_code == 400


def test_csv_matches_the_demo_customer_generator() -> None:
    from generate_data import CSV_PATH, customers_csv  # type: ignore[import-not-found]

    assert CSV_PATH.read_text(encoding="utf-8") == customers_csv()
