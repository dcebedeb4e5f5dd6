"""Errors the connectors raise at the edge, by cause.

Both carry a `reason`: a short, human sentence that is safe to return in a JSON error body. It
never contains a secret, a signature or a whole payload.
"""
from __future__ import annotations


class InvalidSignature(Exception):
    """The request is not signed with our secret (missing, unknown method, or wrong signature)."""

    def __init__(self, reason: str = "invalid signature") -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedPayload(Exception):
    """The body is not a webhook payload we can read (wrong shape, missing key, bad timestamp)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IssueKeyMissing(MalformedPayload):
    """A payload names its issue by id only (a `comment_created` of some Jira versions): the
    key must come from what Slawatch stored about that id."""

    def __init__(self, reason: str, issue_id: str) -> None:
        super().__init__(reason)
        self.issue_id = issue_id
