"""Dotdigital's published importContact description, mended as
../shared/upstream/README.md says, for a conformance run against the sandbox.

usage: python3 .ci/mend_upstream.py UPSTREAM_JSON OUT_JSON [--account]

Keeps only PATCH /contacts/v3/{identifier}/{value} and mends the four
defects the README lists for driving a conformance tool (1, 2, 3 and 6);
every other object stays as closed or open as upstream has it.

With --account, the request side is narrowed to values that exist in the
sandbox's default account (looked up by mobile number; its data fields, its
list, its custom identifier myCustomId), so that most generated requests
succeed and the answers, not the 400s, get checked. Responses are untouched.
"""

import json
import sys

PATH = "/contacts/v3/{identifier}/{value}"


def main(source, target, account=False):
    with open(source) as f:
        spec = json.load(f)
    schemas = spec["components"]["schemas"]

    # Only importContact.
    spec["paths"] = {PATH: {"patch": spec["paths"][PATH]["patch"]}}
    operation = spec["paths"][PATH]["patch"]

    # 1. resubscribeOptions belongs in the closed channelProperties.email of
    #    the base request: one merged object instead of two allOf branches.
    resubscribe = schemas["channelPropertiesWithResubscribe_channelProperties_email"]["properties"]
    schemas["channelProperties_channelProperties_email"]["properties"].update(resubscribe)
    request = schemas["updateContactRequest"]
    request["allOf"] = [
        branch
        for branch in request["allOf"]
        if branch.get("$ref") != "#/components/schemas/channelPropertiesWithResubscribe"
    ]

    # 2. preferenceFull requires a `name` it never defines.
    full = schemas["preferenceFull"]
    full["required"] = [r for r in full["required"] if r != "name"]

    # 3. A JavaScript-style /.../ regex: drop the delimiters.
    for parameter in operation["parameters"]:
        pattern = parameter["schema"].get("pattern", "")
        if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
            parameter["schema"]["pattern"] = pattern[1:-1]

    # 6. A stored consent record: the closed consentRecord plus dateTimeCreated.
    items = schemas["consentRecords"]["items"]
    merged = json.loads(json.dumps(schemas["consentRecord"]))
    for branch in items["allOf"][1:]:
        merged["properties"].update(branch["properties"])
        merged["required"] = merged.get("required", []) + branch.get("required", [])
    merged["example"] = items.get("example")
    schemas["consentRecords"]["items"] = merged

    if account:
        narrow_to_the_sandbox_account(spec, operation)

    with open(target, "w") as f:
        json.dump(spec, f, indent=1)


MOBILE = r"^\+?[1-9][0-9]{7,14}$"
DATA_FIELDS = ["FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE"]


def narrow_to_the_sandbox_account(spec, operation):
    schemas = spec["components"]["schemas"]
    for parameter in operation["parameters"]:
        if parameter["name"] == "identifier":
            parameter["schema"] = {"type": "string", "enum": ["mobileNumber"]}
        elif parameter["name"] == "value":
            parameter["schema"] = {"type": "string", "pattern": MOBILE}
    request = schemas["updateContactRequest"]
    request["allOf"][0]["properties"]["identifiers"] = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "mobileNumber": {"type": "string", "pattern": MOBILE},
            "myCustomId": {"type": "string", "minLength": 1, "maxLength": 256},
        },
        "additionalProperties": False,
    }
    base = schemas["baseContact"]["allOf"]
    base[0]["properties"]["dataFields"] = {
        "type": "object",
        "properties": {name: {"type": "string", "nullable": True} for name in DATA_FIELDS},
        "additionalProperties": False,
    }
    base[2]["properties"]["lists"]["items"] = {"type": "integer", "enum": [12345]}


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--account"]
    main(*arguments, account="--account" in sys.argv[1:])
