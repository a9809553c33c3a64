"""Where deliveries may go: http(s) URLs on public addresses.

A URL is checked when it is saved (scheme, host, no credentials, no private
address written as a number), and the addresses its host resolves to are
checked again at every delivery, which then connects to the address it
checked (a name that later resolves elsewhere cannot reach inside).
Loopback is allowed only with settings.WEBHOOK_ALLOW_LOOPBACK (development,
tests); private, link-local and other non-public addresses never.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

MAX_LENGTH = 500
NOT_PUBLIC = "Deliveries go to public addresses only, not to {address}."


class TargetRefused(Exception):
    """The target resolves to an address deliveries may not go to (or does not resolve)."""


# IPv6 prefixes whose last 32 bits are an IPv4 address a router may deliver to: IPv4-compatible (::/96,
# deprecated) and NAT64's (RFC 6052, RFC 8215). Mapped (::ffff:0:0/96), 6to4 and Teredo name theirs too.
EMBEDDING_IPV4 = [ipaddress.ip_network(prefix) for prefix in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48")]


def embedded_ipv4(ip):
    """Return the IPv4 address an IPv6 address carries to be reached through (None if it carries none)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address (obfuscated in the address, decoded by ipaddress)
    if any(ip in prefix for prefix in EMBEDDING_IPV4) and int(ip) & 0xFFFFFFFF > 1:  # :: and ::1 stay IPv6
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _address_refusal(address):
    """Return why deliveries may not go to this IP address, or None when they may.

    An IPv6 address that carries an IPv4 address is judged by that address as well (::a00:1 is 10.0.0.1).
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried is not None and _address_refusal(str(carried)):
            return NOT_PUBLIC.format(address=address)
    if ip.is_loopback:
        return None if settings.WEBHOOK_ALLOW_LOOPBACK else NOT_PUBLIC.format(address=ip)
    if not ip.is_global or ip.is_multicast:
        return NOT_PUBLIC.format(address=ip)
    return None


def check_url(url):
    """Return the URL if deliveries may be sent to it; raise ValidationError with the reason otherwise."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the receiver's URL.", code="required")
    if len(url) > MAX_LENGTH:
        raise ValidationError(f"At most {MAX_LENGTH} characters.", code="max_length")
    invalid = ValidationError("Enter a valid URL, e.g. https://example.org/hooks/open-event.", code="invalid")
    try:
        parts = urlsplit(url)
        port = parts.port  # out of 0-65535: ValueError, as is an unbalanced [ or ] in the host
    except ValueError:
        raise invalid from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("Use an http:// or https:// URL.", code="invalid_scheme")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise invalid from None
    if port == 0:
        raise invalid
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in the URL: every delivery is signed instead.", code="credentials")
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        refusal = _address_refusal(host)
    except ValueError:
        refusal = None  # a name: its addresses are checked at each delivery
    if refusal:
        raise ValidationError(refusal, code="address")
    return url


def resolve(url):
    """Return (host, port, address to connect to) for a delivery; raise TargetRefused for a refused address.

    Every address the name resolves to must be allowed (a mixed answer is refused).
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:  # a URL saved before check_url refused it
        raise TargetRefused(f"Not a valid URL: {error}") from error
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"{parts.hostname} does not resolve: {error}") from error
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        refusal = _address_refusal(address)
        if refusal:
            raise TargetRefused(refusal)
    return parts.hostname, port, addresses[0]
