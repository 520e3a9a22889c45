"""Derive the marketing ``channel`` of an event from configurable rules.

The rules (``[[channels]]`` in ``wegweiser.toml``) are compiled into one SQL ``CASE`` whose
regexes are bound parameters. It runs over the *distinct* combinations of the rule inputs in
a batch, not over every event, so a million events cost a few hundred regex evaluations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wegweiser.config import ChannelRule

#: Rule field -> column of the combinations table it is matched against.
RULE_COLUMNS = {
    "medium": "medium",
    "source": "source",
    "referrer": "referrer_host",
    "event": "event",
    "platform": "platform",
}

#: SQL that reduces a referrer URL to its lower-case host (``https://www.google.de/x`` ->
#: ``www.google.de``); a bare host stays as it is.
REFERRER_HOST_SQL = (
    "lower(coalesce(nullif(regexp_extract({col}, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#]+)', 1), ''),"
    " nullif(regexp_extract({col}, '^([^/:?#]+)', 1), '')))"
)


def channel_case_sql(rules: list[ChannelRule], *, prefix: str = "ch") -> tuple[str, dict[str, Any]]:
    """``CASE`` expression over :data:`RULE_COLUMNS` and its named parameters.

    >>> from wegweiser.config import ChannelRule
    >>> sql, params = channel_case_sql([ChannelRule(channel="email", medium="mail")])
    >>> sql
    "CASE WHEN regexp_matches(coalesce(medium, ''), $ch0_medium, 'i') THEN $ch0 ELSE NULL END"
    >>> params
    {'ch0_medium': 'mail', 'ch0': 'email'}
    """
    whens: list[str] = []
    params: dict[str, Any] = {}
    for i, rule in enumerate(rules):
        key = f"{prefix}{i}"
        conditions = []
        for field, pattern in rule.conditions().items():
            params[f"{key}_{field}"] = pattern
            column = RULE_COLUMNS[field]
            conditions.append(f"regexp_matches(coalesce({column}, ''), ${key}_{field}, 'i')")
        params[key] = rule.channel
        whens.append(f"WHEN {' AND '.join(conditions) or 'TRUE'} THEN ${key}")
    if not whens:
        return "NULL", {}
    return f"CASE {' '.join(whens)} ELSE NULL END", params
