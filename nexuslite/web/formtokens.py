"""CSRF tokens for the action forms, signed with the dashboard's secret key.

A token names the node its form belongs to and expires, so a token taken from one
node's page cannot be replayed against another node or next week.
"""

from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_AGE_SECONDS = 3600
_SALT = "nexus-action-form"


class BadFormToken(ValueError):
    """The form's token is missing, forged, expired or for another node."""


def issue_form_token(secret_key: str | bytes, node: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps({"node": node})


def verify_form_token(secret_key: str | bytes, token: str, node: str) -> None:
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        payload = serializer.loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise BadFormToken("the form has expired or was not issued here") from exc

    if not isinstance(payload, dict) or payload.get("node") != node:
        raise BadFormToken("the form was issued for another node")
