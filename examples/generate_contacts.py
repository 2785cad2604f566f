"""Writes examples/contacts.csv and examples/contacts-with-errors.csv.

Deterministic: the same files every run (no randomness, no clock), so the
committed copies can be regenerated and diffed. Columns use only what a fresh
sandbox knows: its default data fields and list 12345.

    python3 examples/generate_contacts.py
"""

import csv
import pathlib

FIRST = ["Ann", "Bob", "Chloé", "Dev", "Emeka", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya"]
LAST = ["Smith", "Jones", "Okafor", "Nguyen", "García", "Kowalski", "Müller", "Singh", "Brown", "Rossi", "Ahmed", "Silva"]
GENDER = ["female", "male", "female", "male", "", "female", "male", "non-binary"]
POSTCODES = ["N1 9GU", "EC1A 1BB", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "#CLEAR", ""]
HEADER = ["email", "mobileNumber", "FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE", "lists"]


def row(i: int) -> list[str]:
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
    email = f"{first.lower().replace('é', 'e')}.{last.lower().replace('í', 'i').replace('ü', 'u')}.{i:05d}@example.com"
    mobile = f"4477{i:08d}" if i % 3 == 0 else ""
    lists = "12345" if i % 4 == 0 else ""
    return [email, mobile, first, last, f"{first} {last}", GENDER[i % len(GENDER)], POSTCODES[i % len(POSTCODES)], lists]


def main() -> None:
    here = pathlib.Path(__file__).parent
    with open(here / "contacts.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(row(i) for i in range(1, 1201))
    bad = [
        row(1),
        ["not-an-email", "", "Bad", "Email", "", "", "", ""],
        row(2),
        ["", "447700000099", "No", "Email", "", "", "", ""],
        ["mobile.spaces@example.com", "+44 7700 900123", "Spaced", "Mobile", "", "", "", ""],
        row(3),
        ["unknown.list@example.com", "", "Unknown", "List", "", "", "", "999"],
        ["bad.list.id@example.com", "", "Bad", "ListId", "", "", "", "twelve"],
        row(4),
        ["clash@example.com", "44770000000" + "3", "Taken", "Mobile", "", "", "", ""],
        row(5),
    ]
    with open(here / "contacts-with-errors.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(bad)


if __name__ == "__main__":
    main()
