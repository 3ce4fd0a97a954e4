"""CelesTrak and Space-Track clients against httpx.MockTransport (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from spacepool.errors import RemoteSourceError
from spacepool.orbits.live import CelestrakClient, SpaceTrackClient, user_agent

DATA = Path(__file__).resolve().parents[1] / "data" / "elements"
GP = "https://celestrak.org/NORAD/elements/gp.php"


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def space_track_records() -> list[dict[str, str]]:
    """The sample records as Space-Track returns them: every value a string."""
    records = json.loads((DATA / "sample.json").read_text())
    return [
        {"CCSDS_OMM_VERS": "3.0", **{key: str(value) for key, value in r.items()}} for r in records
    ]


# --- CelesTrak ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "tle", "csv", "xml", "kvn"])
def test_celestrak_group_in_every_format(fmt: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        suffix = "tle" if fmt == "tle" else fmt
        return httpx.Response(200, text=(DATA / f"sample.{suffix}").read_text())

    with CelestrakClient(mock_client(handler)) as celestrak:
        result = celestrak.fetch_group("stations", format=fmt)  # type: ignore[arg-type]
    assert [e.norad_id for e in result.elements] == [25544, 5, 8195, 28626]
    assert {e.source for e in result.elements} == {"celestrak"}
    (request,) = seen
    assert str(request.url).startswith(GP + "?")
    assert parse_qs(request.url.query.decode()) == {"GROUP": ["stations"], "FORMAT": [fmt]}
    assert request.headers["User-Agent"] == user_agent()
    assert user_agent().startswith("spacepool/")


def test_celestrak_catalogue_numbers_one_request_each() -> None:
    records = json.loads((DATA / "sample.json").read_text())
    by_id = {str(r["NORAD_CAT_ID"]): r for r in records}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[by_id[request.url.params["CATNR"]]])

    result = CelestrakClient(mock_client(handler)).fetch_catnr([25544, 28626])
    assert [e.name for e in result.elements] == ["ISS (ZARYA)", "XM-3"]


@pytest.mark.parametrize("status", [200, 404])
def test_celestrak_no_gp_data_answer_is_a_remote_error(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text="No GP data found")

    with pytest.raises(RemoteSourceError) as caught:
        CelestrakClient(mock_client(handler)).fetch_catnr(99999)
    error = caught.value
    assert str(error) == (
        "CelesTrak has no GP data for CATNR=99999: check the group name or catalogue number"
    )
    assert error.url == GP + "?CATNR=99999&FORMAT=json"
    assert error.status == status


def test_celestrak_http_error_names_url_and_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html><body>Service Unavailable</body></html>")

    with pytest.raises(RemoteSourceError) as caught:
        CelestrakClient(mock_client(handler)).fetch_group("weather", format="tle")
    assert caught.value.status == 503
    assert caught.value.url == GP + "?GROUP=weather&FORMAT=tle"
    assert str(caught.value) == (
        "CelesTrak answered HTTP 503 Service Unavailable: "
        "'<html><body>Service Unavailable</body></html>'"
    )


@pytest.mark.parametrize(
    ("fmt", "body", "reason"),
    [
        ("tle", "<html><body>Maintenance</body></html>", "an HTML page instead of TLEs"),
        ("json", '{"OBJECT_NAME": "ISS', "JSON cut off mid-transfer"),
        ("json", "[]", "an empty list"),
        ("tle", "ISS (ZARYA)\n1 25544U 98067A   08264.51782528 -.000", "TLE cut off"),
    ],
)
def test_celestrak_malformed_body_is_a_remote_error(fmt: str, body: str, reason: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body)

    with pytest.raises(RemoteSourceError) as caught:
        CelestrakClient(mock_client(handler)).fetch_group("active", format=fmt)  # type: ignore[arg-type]
    assert caught.value.status == 200, reason
    assert "CelesTrak sent" in str(caught.value), reason


def test_celestrak_lenient_keeps_good_records_of_a_partly_bad_body() -> None:
    lines = (DATA / "sample.tle").read_text().splitlines()
    lines[2] = lines[2][:-1] + "0"  # ISS line 2 checksum broken

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="\r\n".join(lines))

    result = CelestrakClient(mock_client(handler)).fetch_group("x", format="tle", lenient=True)
    assert [e.norad_id for e in result.elements] == [5, 8195, 28626]
    (problem,) = result.problems
    assert (problem.source, problem.line) == (GP + "?GROUP=x&FORMAT=tle", 3)


def test_timeout_becomes_a_remote_error_without_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(RemoteSourceError) as caught:
        CelestrakClient(mock_client(handler), timeout_s=5).fetch_group("stations")
    assert str(caught.value) == "CelesTrak did not answer within 5 s"
    assert caught.value.status is None


def test_injected_client_is_left_open_and_own_client_is_closed() -> None:
    injected = mock_client(lambda request: httpx.Response(200))
    with CelestrakClient(injected):
        pass
    assert not injected.is_closed
    own = CelestrakClient()
    own.close()
    assert own._client.is_closed


# --- Space-Track ----------------------------------------------------------------------


class FakeSpaceTrack:
    """Logs in ``me@example.org`` / ``secret`` and serves class/gp as JSON."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/ajaxauth/login":
            form = parse_qs(request.content.decode())
            if form == {"identity": ["me@example.org"], "password": ["secret"]}:
                return httpx.Response(
                    200,
                    text="",
                    headers={"Set-Cookie": "chocolatechip=abc; path=/; secure; HttpOnly"},
                )
            return httpx.Response(200, json={"Login": "Failed"})
        if request.headers.get("Cookie") != "chocolatechip=abc":
            return httpx.Response(401, text="You must be logged in to complete this action")
        prefix = "/basicspacedata/query/class/gp/NORAD_CAT_ID/"
        assert request.url.path.startswith(prefix)
        ids = request.url.path[len(prefix) :].split("/")[0].split(",")
        records = [r for r in space_track_records() if r["NORAD_CAT_ID"] in ids]
        return httpx.Response(200, json=records)


def test_space_track_logs_in_then_queries_gp() -> None:
    server = FakeSpaceTrack()
    with SpaceTrackClient("me@example.org", "secret", client=mock_client(server)) as st:
        result = st.fetch_gp([28626, 25544, 25544])
    assert [e.norad_id for e in result.elements] == [25544, 28626]
    assert {e.source for e in result.elements} == {"space-track"}
    login, query = server.requests
    assert (login.method, str(login.url)) == ("POST", "https://www.space-track.org/ajaxauth/login")
    assert str(query.url) == (
        "https://www.space-track.org/basicspacedata/query/class/gp/NORAD_CAT_ID/25544,28626"
        "/orderby/NORAD_CAT_ID%20asc/format/json"
    )
    assert query.headers["User-Agent"] == user_agent()


def test_space_track_refused_login_is_a_remote_error() -> None:
    client = SpaceTrackClient("me@example.org", "wrong", client=mock_client(FakeSpaceTrack()))
    with pytest.raises(RemoteSourceError) as caught:
        client.fetch_gp([25544])
    assert str(caught.value) == (
        "Space-Track refused the login: check the identity (e-mail) and password"
    )
    assert caught.value.url == "https://www.space-track.org/ajaxauth/login"
    assert caught.value.status == 200


def test_space_track_unknown_ids_are_a_remote_error() -> None:
    client = SpaceTrackClient("me@example.org", "secret", client=mock_client(FakeSpaceTrack()))
    with pytest.raises(RemoteSourceError) as caught:
        client.fetch_gp([99999])
    assert str(caught.value) == "Space-Track has no GP data for NORAD_CAT_ID 99999"


def test_space_track_expired_session_reports_http_401() -> None:
    server = FakeSpaceTrack()
    client = SpaceTrackClient("me@example.org", "secret", client=mock_client(server))
    client.login()
    client._client.cookies.clear()  # the session expired on the server side
    with pytest.raises(RemoteSourceError) as caught:
        client.fetch_gp([25544])
    assert caught.value.status == 401
    assert "You must be logged in" in str(caught.value)


def test_space_track_query_error_object_is_a_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/ajaxauth/login":
            return httpx.Response(200, text="")
        return httpx.Response(200, json={"error": "Query rate limit exceeded"})

    client = SpaceTrackClient("me@example.org", "secret", client=mock_client(handler))
    with pytest.raises(RemoteSourceError) as caught:
        client.fetch_gp([25544])
    assert str(caught.value) == (
        """Space-Track refused the query: '{"error":"Query rate limit exceeded"}'"""
    )


def test_space_track_with_no_ids_makes_no_request() -> None:
    server = FakeSpaceTrack()
    result = SpaceTrackClient("me@example.org", "secret", client=mock_client(server)).fetch_gp([])
    assert result.elements == ()
    assert server.requests == []
