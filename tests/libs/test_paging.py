"""Window tokens (libs.paging) over a list a service answers whole: each row once, in order; a token
the API did not issue is an invalid `page_token`."""

from __future__ import annotations

import pytest

from libs import paging
from libs.errors import InvalidArgument


def test_window_pages_cover_the_list_once_in_order() -> None:
    rows, seen, token = list(range(7)), [], ""
    while True:
        page, token = paging.window_page(rows, 3, token)
        seen.append(page)
        if not token:
            break
    assert seen == [[0, 1, 2], [3, 4, 5], [6]]
    assert paging.window_page(rows, 0, "") == (rows, "")  # 0 is the default page size, 50


@pytest.mark.parametrize("token", ["x", "not-a-token", "KzE", "KzE=x", "LTE=", "K2E="])
def test_a_token_the_api_did_not_issue_names_page_token(token: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        paging.window_page([1, 2], 1, token)
    assert [v.field for v in refused.value.violations] == ["page_token"]


def test_a_window_asks_the_service_for_one_row_past_its_end() -> None:
    _, token = paging.window_page(list(range(10)), 4, "")
    assert paging.window_end(4, token) == 9
