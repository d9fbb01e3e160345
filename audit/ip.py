"""The client's address, as the audit log and the lockout (AXES_CLIENT_IP_CALLABLE) see it.

REMOTE_ADDR is the peer that opened the TCP connection; nobody can forge it. X-Forwarded-For is text the client
controls, except for the entries our own reverse proxies appended. So:

* the peer is not one of settings.TRUSTED_PROXIES -> the peer's address, whatever X-Forwarded-For says;
* the peer is a trusted proxy -> walk X-Forwarded-For from the right (the entries our proxies appended), skip the
  trusted proxies, and take the first address that is not one: that is who talked to our outermost proxy. Anything
  to its left was written by the client and is ignored.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return any(address in net for net in networks)


def client_ip(request) -> str | None:
    if request is None:
        return None
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or not _trusted(peer, networks):
        return str(peer)
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for part in reversed(forwarded):
        address = _parse(part)
        if address is None:
            break  # garbage in the chain: trust nothing further left
        if not _trusted(address, networks):
            return str(address)
    return str(peer)  # only proxies (e.g. the proxy's own health check), or garbage: the peer itself
