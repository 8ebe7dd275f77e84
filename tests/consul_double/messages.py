"""Consul's exact response texts, and the error type that carries one to the client.

Every text here is copied from /work/shared/consul-api (common.md, agent.md, kv.md,
samples/errors.json); keeping them in one place makes a wording fix a one-line change.
"""

UNKNOWN_V1_PATH = "Invalid URL path: not a recognized HTTP API endpoint\n"
UNKNOWN_PATH = (
    "Invalid URL path: if attempting to use the HTTP API, "
    "ensure the path starts with '/v1/'\n"
)
NO_LEADER = "No cluster leader"
CONFLICTING_CONSISTENCY = (
    "Cannot specify ?stale with ?consistent, conflicting semantics."
)
INVALID_WAIT = "Invalid wait time"
INVALID_INDEX = "Invalid index"
DECODE_FAILED = "Request decode failed: {}"

ACL_NOT_FOUND = "token does not exist: ACL not found"
ANONYMOUS_DENIED = (
    "Permission denied: anonymous token lacks permission '{permission}'{target}. "
    "The anonymous token is used implicitly when a request does not specify a token."
)
TOKEN_DENIED = (
    "Permission denied: token with AccessorID '{accessor}' lacks permission "
    "'{permission}'{target}"
)

MISSING_SERVICE_NAME = "Missing service name"
MISSING_SERVICE_ID = "Missing service ID"
INVALID_SERVICE_ADDRESS = "Invalid service address"
INVALID_CHECK_STATUS = "Status for checks must 'passing', 'warning', 'critical'"
UNKNOWN_SERVICE = (
    'Unknown service ID "{}". '
    "Ensure that the service ID is passed, not the service name."
)
UNKNOWN_CHECK = (
    'Unknown check ID "{}". Ensure that the check ID is passed, not the check name.'
)
NOT_TTL = 'CheckID "{}" does not have associated TTL'
BAD_UPDATE_STATUS = "Invalid check status: '{}'"
MISSING_CHECK_NAME = "Missing check name"
MISSING_CHECK_SERVICE = 'ServiceID "{}" does not exist'
MISSING_ENABLE = "Missing value for enable"
INVALID_ENABLE = 'Invalid value for enable: "{}"'
INVALID_PASSING = "Invalid value for ?passing"
MISSING_NODE_NAME = "Missing node name"
MISSING_CHECK_STATE = "Missing check state"

MISSING_KEY = "Missing key name"
CONFLICTING_FLAGS = "Conflicting flags: {}"
KV_TOO_LARGE = (
    "Request body({} bytes) too large, max size: {} bytes. See "
    "https://www.consul.io/docs/agent/config/config-files#kv_max_value_size."
)
INVALID_SESSION = 'invalid session "{}"'
MISSING_SESSION = "missing session"

MISSING_SESSION_ID = "Missing session"
SESSION_NOT_FOUND = "Session id '{}' not found"
SESSION_BAD_TTL = "Invalid Session TTL '{}', must be between [10s=24h0m0s]"
SESSION_TTL_UNPARSABLE = "Session TTL '{}' invalid: {}"
SESSION_BAD_BEHAVIOR = "Invalid Behavior setting '{}'"
SESSION_MISSING_NODE = "Missing node registration"
SESSION_CHECK_CRITICAL = "Check '{}' is in critical state"
SESSION_CHECK_MISSING = "Missing check '{}' registration"

NODE_MAINTENANCE_NOTES = (
    "Maintenance mode is enabled for this node, but no reason was provided. "
    "This is a default message."
)
SERVICE_MAINTENANCE_NOTES = (
    "Maintenance mode is enabled for this service, but no reason was provided. "
    "This is a default message."
)
SERF_ALIVE = "Agent alive and reachable"
SERF_DEAD = "Agent not live or unreachable"
TTL_EXPIRED = "TTL expired"
TTL_EXPIRED_WITH_OUTPUT = "TTL expired (last output before timeout follows): {}"


class ApiError(Exception):
    """An HTTP error answer: status code and Consul's plain-text body."""

    def __init__(self, status: int, text: str, headers: dict | None = None):
        super().__init__(f"{status} {text}")
        self.status = status
        self.text = text
        self.headers = headers or {}
