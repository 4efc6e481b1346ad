"""Schemathesis hooks for scripts/lib/schemathesis.sh.

Generated events are kept to small venues: a schema-valid venue may hold up to a
million seats, and writing one takes seconds; a few hundred of them would make the
run last an hour without testing anything more (big venues have their own tests).
Every other part of the body is left as generated.
"""

import schemathesis

MAX_SEATS_PER_SECTION = 400


def _small_sections(body):
    if isinstance(body, dict) and isinstance(body.get("sections"), list):
        for section in body["sections"]:
            if not isinstance(section, dict):
                continue
            rows, per_row = section.get("rows"), section.get("seats_per_row")
            if isinstance(rows, (int, float)) and isinstance(per_row, (int, float)):
                if rows >= 1 and per_row >= 1 and rows * per_row > MAX_SEATS_PER_SECTION:
                    section["rows"] = max(1, int(MAX_SEATS_PER_SECTION // per_row))
                    if section["rows"] * per_row > MAX_SEATS_PER_SECTION:
                        section["seats_per_row"] = MAX_SEATS_PER_SECTION
    return body


@schemathesis.hook("map_body").apply_to(method="POST", path="/api/v1/admin/events")
def small_new_venues(ctx, body):
    return _small_sections(body)


@schemathesis.hook("map_body").apply_to(method="PATCH", path="/api/v1/admin/events/{id}")
def small_edited_venues(ctx, body):
    return _small_sections(body)
