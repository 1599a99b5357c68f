"""The import file format, without a database: detection, entries, and how places are named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from certnet.constituency.import_format import CSV_COLUMNS, OrganisationEntry, Where, detect_format


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"organisation\nA\n", "orgs.CSV", "csv"),
        (b'[{"name": "A"}]', "orgs.csv", "csv"),  # the extension decides when it says
        (b'{"organisations": []}', "orgs.json", "json"),
        (b'\xef\xbb\xbf  \n[{"name": "A"}]', "upload", "json"),
        (b'{"organisations": []}', None, "json"),
        (b"organisation,cert\n", None, "csv"),
    ],
)
def test_detect_format(content: bytes, filename: str | None, expected: str) -> None:
    assert detect_format(content, filename) == expected


def test_places_are_named_as_the_file_names_them() -> None:
    line = Where("line 12", is_csv=True)
    assert line.at("name") == "line 12: organisation"
    assert line.at("cii", "designated_on") == "line 12: cii_designated_on"
    assert line.at("contacts", 0, "email") == "line 12: contact_email"
    assert line.at("resources", 3) == "line 12: resources"
    path = Where("organisations[3]", is_csv=False)
    assert path.at("resources", 1) == "organisations[3].resources[1]"
    assert path.at("contacts", 0, "valid_until") == "organisations[3].contacts[0].valid_until"


def test_every_csv_column_maps_to_an_entry_field() -> None:
    line = Where("line 2", is_csv=True)
    fields = {"name", "cert", "sector", "province", "cii", "resources", "contacts"}
    assert set(OrganisationEntry.model_fields) == fields
    for column in CSV_COLUMNS:
        assert line.at(*_path_of(column)) == f"line 2: {column}"


def _path_of(column: str) -> tuple[str | int, ...]:
    if column == "organisation":
        return ("name",)
    if column == "resources":
        return ("resources", 0)
    if column.startswith("contact_"):
        return ("contacts", 0, column.removeprefix("contact_"))
    if column.startswith("cii_"):
        return ("cii", column.removeprefix("cii_"))
    return (column,)


def test_entries_refuse_red_contacts_and_unknown_keys() -> None:
    with pytest.raises(ValidationError) as caught:
        OrganisationEntry.model_validate(
            {
                "name": "A Org",
                "colour": "blue",
                "contacts": [
                    {"name": "Ops", "role": "security", "email": "o@a.example.pk", "tlp": "RED"}
                ],
            }
        )
    locations = {tuple(e["loc"]) for e in caught.value.errors()}
    assert locations == {("colour",), ("contacts", 0, "tlp")}
