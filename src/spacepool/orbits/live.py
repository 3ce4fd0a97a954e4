"""Fetching current element sets from CelesTrak and Space-Track.

Both clients take an optional :class:`httpx.Client` so that callers choose proxies,
retries and, in tests, an :class:`httpx.MockTransport`. Every failure of the remote
side becomes one :class:`~spacepool.errors.RemoteSourceError` carrying the URL and
the HTTP status: an HTTP error, a network error or timeout, CelesTrak's plain-text
``No GP data found`` answer, a refused Space-Track login, and a body that cannot be
read as element sets.

Please respect the providers' rules: CelesTrak asks clients not to download the
same data more than once per update (about every 2 hours); Space-Track limits
``class/gp`` queries (at most 30 a minute, 300 an hour, and the same ``gp`` query
no more than once an hour). Neither client retries or polls on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import metadata
from types import TracebackType
from typing import Literal, Self

import httpx

from spacepool.errors import ElementSetError, RemoteSourceError
from spacepool.orbits.elements import ElementSet, ParseResult
from spacepool.orbits.omm import OMMEncoding, parse_omm
from spacepool.orbits.tle import parse_tle

__all__ = ["CelestrakClient", "SpaceTrackClient", "user_agent"]

CelestrakFormat = Literal["json", "tle", "3le", "2le", "csv", "xml", "kvn"]

CELESTRAK_GP_URL = "https://celestrak.org/NORAD/elements/gp.php"
SPACE_TRACK_URL = "https://www.space-track.org"
DEFAULT_TIMEOUT_S = 30.0
# Space-Track advises keeping query URLs short; 500 five-to-six-digit ids keep the
# path well under the usual 8 kB URL limit.
_SPACE_TRACK_IDS_PER_QUERY = 500


def user_agent() -> str:
    """``spacepool/<version>``, sent with every request."""
    try:
        version = metadata.version("spacepool")
    except metadata.PackageNotFoundError:  # running from a source tree
        version = "unknown"
    return f"spacepool/{version}"


class _RemoteClient:
    """The HTTP plumbing both clients share: headers, timeout, errors, ownership."""

    def __init__(self, client: httpx.Client | None, timeout_s: float) -> None:
        self._owns_client = client is None
        self._timeout = httpx.Timeout(timeout_s)
        self._client = client or httpx.Client(timeout=self._timeout, follow_redirects=True)
        self._headers = {"User-Agent": user_agent()}

    def close(self) -> None:
        """Close the HTTP client if this object created it (an injected one stays open)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        url: str,
        *,
        name: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send; network failures and timeouts become RemoteSourceError (no status)."""
        try:
            return self._client.request(
                method, url, params=params, data=data, headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise RemoteSourceError(
                f"{name} did not answer within {self._timeout.read:g} s", url=url
            ) from None
        except httpx.HTTPError as exc:
            raise RemoteSourceError(f"{name} could not be reached: {exc}", url=url) from None

    @staticmethod
    def _raise_for_status(response: httpx.Response, name: str) -> None:
        if response.is_error:
            raise RemoteSourceError(
                f"{name} answered HTTP {response.status_code} "
                f"{response.reason_phrase}: {_excerpt(response.text)}",
                url=str(response.request.url),
                status=response.status_code,
            )


_OMM_ENCODINGS: dict[str, OMMEncoding] = {"json": "json", "csv": "csv", "xml": "xml", "kvn": "kvn"}


def _excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _parse_body(
    response: httpx.Response,
    body_format: str,
    *,
    origin: str,
    name: str,
    lenient: bool,
) -> ParseResult:
    """Element sets from a response body; unreadable bodies are the remote's fault."""
    url = str(response.request.url)
    text = response.text
    try:
        if body_format in ("tle", "3le", "2le"):
            result = parse_tle(text, source=url, lenient=lenient, origin=origin)
        else:
            encoding = _OMM_ENCODINGS[body_format]
            result = parse_omm(text, source=url, lenient=lenient, encoding=encoding, origin=origin)
    except ElementSetError as exc:
        raise RemoteSourceError(
            f"{name} sent a body that is not valid {body_format.upper()}: {exc}",
            url=url,
            status=response.status_code,
        ) from exc
    if not result.elements and result.problems:
        raise RemoteSourceError(
            f"{name} sent no readable element set; first problem: {result.problems[0]}",
            url=url,
            status=response.status_code,
        )
    return result


class CelestrakClient(_RemoteClient):
    """CelesTrak's GP API (``gp.php``): current element sets, no account needed.

    >>> with CelestrakClient() as celestrak:                      # doctest: +SKIP
    ...     stations = celestrak.fetch_group("stations")
    ...     iss = celestrak.fetch_catnr(25544)

    Results carry ``source == "celestrak"``; errors name the URL.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        base_url: str = CELESTRAK_GP_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(client, timeout_s)
        self.base_url = base_url

    def fetch_group(
        self, group: str, *, format: CelestrakFormat = "json", lenient: bool = False
    ) -> ParseResult:
        """All element sets of a CelesTrak group (``"stations"``, ``"resource"``, ...)."""
        return self._fetch({"GROUP": group}, format, lenient)

    def fetch_catnr(
        self,
        norad_ids: int | Sequence[int],
        *,
        format: CelestrakFormat = "json",
        lenient: bool = False,
    ) -> ParseResult:
        """Element sets by NORAD catalogue number (one request per number)."""
        ids = [norad_ids] if isinstance(norad_ids, int) else list(norad_ids)
        results = [self._fetch({"CATNR": str(norad_id)}, format, lenient) for norad_id in ids]
        return _merge(results)

    def _fetch(self, query: dict[str, str], format: str, lenient: bool) -> ParseResult:
        params = {**query, "FORMAT": format}
        response = self._request("GET", self.base_url, name="CelesTrak", params=params)
        # CelesTrak answers an unknown group or number with this text, with HTTP 200
        # or 404 depending on the query; either way it is "no data", not a TLE.
        if response.text.strip().lower().startswith("no gp data found"):
            selection = ", ".join(f"{key}={value}" for key, value in query.items())
            raise RemoteSourceError(
                f"CelesTrak has no GP data for {selection}: check the group name or "
                "catalogue number",
                url=str(response.request.url),
                status=response.status_code,
            )
        self._raise_for_status(response, "CelesTrak")
        return _parse_body(response, format, origin="celestrak", name="CelesTrak", lenient=lenient)


class SpaceTrackClient(_RemoteClient):
    """Space-Track's ``class/gp`` API (latest element set per object); needs an account.

    Logs in with ``POST /ajaxauth/login`` (form fields ``identity`` and ``password``);
    the session cookie is kept by the HTTP client. Space-Track answers a refused
    login with HTTP 200 and ``{"Login":"Failed"}``, which raises
    :class:`~spacepool.errors.RemoteSourceError` here.

    >>> with SpaceTrackClient("me@example.org", "secret") as st:  # doctest: +SKIP
    ...     result = st.fetch_gp([25544, 39634])
    """

    def __init__(
        self,
        identity: str,
        password: str,
        *,
        client: httpx.Client | None = None,
        base_url: str = SPACE_TRACK_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(client, timeout_s)
        self.base_url = base_url.rstrip("/")
        self._identity = identity
        self._password = password
        self._logged_in = False

    def login(self) -> None:
        """Open a session; raises RemoteSourceError when Space-Track refuses it."""
        url = f"{self.base_url}/ajaxauth/login"
        response = self._request(
            "POST",
            url,
            name="Space-Track",
            data={"identity": self._identity, "password": self._password},
        )
        self._raise_for_status(response, "Space-Track")
        if '"login":"failed"' in response.text.replace(" ", "").lower():
            raise RemoteSourceError(
                "Space-Track refused the login: check the identity (e-mail) and password",
                url=url,
                status=response.status_code,
            )
        self._logged_in = True

    def fetch_gp(self, norad_ids: Iterable[int], *, lenient: bool = False) -> ParseResult:
        """Latest GP element sets for ``norad_ids`` (JSON OMM), logging in if needed."""
        ids = sorted(set(norad_ids))
        if not ids:
            return ParseResult(())
        if not self._logged_in:
            self.login()
        results = []
        for first in range(0, len(ids), _SPACE_TRACK_IDS_PER_QUERY):
            chunk = ids[first : first + _SPACE_TRACK_IDS_PER_QUERY]
            url = (
                f"{self.base_url}/basicspacedata/query/class/gp/NORAD_CAT_ID/"
                f"{','.join(str(i) for i in chunk)}/orderby/NORAD_CAT_ID asc/format/json"
            )
            response = self._request("GET", url, name="Space-Track")
            self._raise_for_status(response, "Space-Track")
            text = response.text.strip()
            if text.startswith("{") and '"error"' in text.lower():
                raise RemoteSourceError(
                    f"Space-Track refused the query: {_excerpt(text)}",
                    url=str(response.request.url),
                    status=response.status_code,
                )
            if text == "[]":
                raise RemoteSourceError(
                    f"Space-Track has no GP data for NORAD_CAT_ID {','.join(map(str, chunk))}",
                    url=str(response.request.url),
                    status=response.status_code,
                )
            results.append(
                _parse_body(
                    response, "json", origin="space-track", name="Space-Track", lenient=lenient
                )
            )
        return _merge(results)


def _merge(results: Sequence[ParseResult]) -> ParseResult:
    elements: list[ElementSet] = []
    problems: list[ElementSetError] = []
    for result in results:
        elements.extend(result.elements)
        problems.extend(result.problems)
    return ParseResult(tuple(elements), tuple(problems))
