"""/v1/kv/<key> handlers: GET (recurse, keys, separator, raw), PUT (cas, flags,
acquire, release) and DELETE (recurse, cas), with kv.md's status codes and indexes."""

import urllib.parse

from consul_double import messages
from consul_double.exchange import MISSING, Call, Read, Reply, json_reply
from consul_double.messages import ApiError
from consul_double.records import render_kv

MAX_VALUE_SIZE = 512 * 1024


def get_key(call: Call) -> Read | Reply:
    key = call.rest
    state = call.state
    if call.has("keys"):
        return _list_keys(call, key)

    if call.has("recurse"):

        def render_recurse():
            entries = state.kv_prefix(key)
            return [render_kv(e) for e in entries] if entries else MISSING

        return Read(
            lambda: state.kv_prefix_index(key),
            render_recurse,
            filtered=MISSING,
            effective_consistency=False,
        )

    if not key:
        raise ApiError(400, messages.MISSING_KEY)

    def render_one():
        entry = state.kv_entry(key)
        if entry is None:
            return MISSING
        if call.has("raw"):
            return Reply(200, entry.value, _RAW_HEADERS)
        return [render_kv(entry)]

    return Read(
        lambda: state.kv_key_index(key), render_one, effective_consistency=False
    )


_RAW_HEADERS = {
    "Content-Type": "text/plain",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
}


def _list_keys(call: Call, prefix: str) -> Read:
    separator = call.arg("separator") or call.arg("seperator") or ""
    state = call.state

    def render():
        keys = []
        for entry in state.kv_prefix(prefix):
            key = entry.key
            if separator:
                cut = key.find(separator, len(prefix))
                if cut >= 0:
                    key = key[: cut + len(separator)]
            if not keys or keys[-1] != key:
                keys.append(key)
        if not keys and prefix:
            return MISSING
        return keys

    filtered = [] if not prefix else MISSING
    return Read(
        lambda: state.kv_prefix_index(prefix),
        render,
        filtered=filtered,
        effective_consistency=False,
    )


def put_key(call: Call) -> Reply:
    _refuse_conflicts(call, ("cas", "acquire", "release"))
    if not call.rest:
        raise ApiError(400, messages.MISSING_KEY)
    if len(call.body) > MAX_VALUE_SIZE:
        raise ApiError(
            413, messages.KV_TOO_LARGE.format(len(call.body), MAX_VALUE_SIZE)
        )

    flags = None
    if call.has("flags"):
        flags = _parse_uint(call.arg("flags"), status=500)
    cas = _parse_uint(call.arg("cas"), status=400) if call.has("cas") else None
    written = call.state.kv_set(
        call.rest,
        call.body,
        flags=flags,
        cas=cas,
        acquire=call.arg("acquire") if call.has("acquire") else None,
        release=call.arg("release") if call.has("release") else None,
    )
    return json_reply(written)


def delete_key(call: Call) -> Reply:
    _refuse_conflicts(call, ("recurse", "cas"))
    recurse = call.has("recurse")
    if not call.rest and not recurse:
        raise ApiError(400, messages.MISSING_KEY)

    cas = _parse_uint(call.arg("cas"), status=400) if call.has("cas") else None
    return json_reply(call.state.kv_remove(call.rest, recurse=recurse, cas=cas))


def _refuse_conflicts(call: Call, flags: tuple[str, ...]) -> None:
    if sum(call.has(flag) for flag in flags) > 1:
        pairs = sorted((k, v) for k, values in call.query.items() for v in values)
        encoded = urllib.parse.urlencode(pairs)
        raise ApiError(400, messages.CONFLICTING_FLAGS.format(encoded))


def _parse_uint(raw: str | None, status: int) -> int:
    if raw is not None and raw.isdigit():
        return int(raw)
    raise ApiError(status, f'strconv.ParseUint: parsing "{raw}": invalid syntax')
