"""Affiliate pages as the tests read them: Creator Center's addresses, and the table rows
and invitation sections picked out of a page's HTML."""

import re

CREATOR_PAGES = (
    "/creator/marketplace",
    "/creator/showcase",
    "/creator/invitations",
    "/creator/samples",
)


def row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">.*?</tr>', html, re.S)
    assert found, f"no row {row_id}"
    return found.group(0)


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section class="invitation" id="{section_id}">.*?</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)
