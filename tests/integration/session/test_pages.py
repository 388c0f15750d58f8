"""Pages over the real server: joining, exports, language, the demonstration."""

from __future__ import annotations

import re

import httpx

from tests.integration.people import command, seat
from tests.running import ServerProcess


async def test_joining_asks_a_name_and_the_charter_then_goes_straight_in(
    server: ServerProcess,
) -> None:
    """The join page is prefilled with the name the facilitator gave; accepting renames
    and enters; the same browser later goes straight to the room."""
    cast = await seat(server, {"nadia": "facilitator", "karim": "member"})
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=True) as browser:
        # seat() accepted Karim's charter over the API already: his link opens the room.
        join = await browser.get(cast.links["karim"].removeprefix(server.url))
        assert 'id="room"' in join.text
    invited = await _invite(server, cast.session, cast.auth("nadia"), "Léa Martin")
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=True) as browser:
        join = await browser.get(invited.removeprefix(server.url))
        assert 'value="Léa Martin"' in join.text and "S&#39;abstenir de juger" in join.text
        entered = await browser.post(
            f"/s/{cast.session}/charter",
            data={"name": "Léa M."},
            headers={"Origin": server.url},
        )
        assert 'id="room"' in entered.text
        again = await browser.get(f"/s/{cast.session}")
        assert 'id="room"' in again.text
        state = (await browser.get(f"/api/sessions/{cast.session}")).json()["state"]
        assert "Léa M." in [p["name"] for p in state["participants"].values()]


async def _invite(server: ServerProcess, session: str, auth: dict[str, str], name: str) -> str:
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.post(
            f"/api/sessions/{session}/invitations",
            json={"role": "member", "name": name},
            headers=auth,
        )
        link: str = answer.json()["link"]
        return link


async def test_exports_are_for_the_narrator_and_facilitators_only(server: ServerProcess) -> None:
    """Markdown and printable exports open for them; a member and a stranger get 403."""
    cast = await seat(server)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for name in ("nadia", "claire"):
            md = await http.get(f"/s/{cast.session}/export.md", headers=cast.auth(name))
            assert md.status_code == 200 and md.text.startswith("# \u2068Séance 2\u2069")
            assert md.headers["content-type"].startswith("text/markdown")
            page = await http.get(f"/s/{cast.session}/export.html", headers=cast.auth(name))
            assert page.status_code == 200 and "Confidentiel" in page.text
        for headers in (cast.auth("karim"), cast.auth("thomas"), {}):
            refused = await http.get(f"/s/{cast.session}/export.md", headers=headers)
            assert refused.status_code == 403


async def test_the_record_names_who_came_from_the_sessions_own_log(server: ServerProcess) -> None:
    """Those whose socket opened are present, in the roster's order, also after they left;
    Sophie, invited and never connected, is not; the facilitator and narrator are named."""
    cast = await seat(server)
    claire = await cast.raw("claire")
    karim = await cast.raw("karim")
    await karim.close()
    nadia = await cast.raw("nadia")
    await command(nadia, "go", {"type": "go_to_phase", "phase": "expose"})
    written = await command(claire, "w1", {"type": "write_situation", "title": "Un CSE"})
    assert written["t"] == "ack", written
    async with httpx.AsyncClient(base_url=server.url) as http:
        md = await http.get(f"/s/{cast.session}/export.md", headers=cast.auth("nadia"))
        page = await http.get(f"/s/{cast.session}/export.html", headers=cast.auth("claire"))
    lines = md.text.replace("\u2068", "").replace("\u2069", "").splitlines()
    assert "- **Présent·es** : Nadia, Claire, Karim" in lines
    assert "- **Narrateur·rice** : Claire" in lines and "- **Animation** : Nadia" in lines
    assert lines[0] == "# Un CSE" and "- **Séance** : Séance 2" in lines
    assert (
        "<dt>Présent·es</dt><dd><bdi>Nadia</bdi>, <bdi>Claire</bdi>, <bdi>Karim</bdi></dd>"
        in page.text
    )


async def test_language_switch_stays_on_this_site(server: ServerProcess) -> None:
    """Choosing English sets a cookie and returns to the page; foreign targets go home."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        chosen = await http.get("/lang/en", params={"next": "/"})
        assert chosen.status_code == 303 and chosen.headers["location"] == "/"
        assert "lang=en" in chosen.headers["set-cookie"]
        home = await http.get("/")
        assert '<html lang="en">' in home.text and "Create a session" in home.text
        for target in ("https://evil.example/", "//evil.example/", "/\\\\evil.example"):
            away = await http.get("/lang/fr", params={"next": target})
            assert away.headers["location"] == "/"


async def test_the_demonstration_is_played_up_to_step_three(server: ServerProcess) -> None:
    """The home page's button makes a session at step 3 with a link for each role."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.post("/demo", headers={"Origin": server.url})
        assert page.status_code == 200
        links = re.findall(r'href="(http://[^"]+/j/[^"]+)"', page.text)
        assert len(links) == 6
        secret = links[1].rsplit("/", 1)[1]
        auth = {"Authorization": f"Bearer {secret}"}
        me = (await http.get("/api/me", headers=auth)).json()
        assert me["role"] == "narrator"
        await http.post(f"/api/sessions/{me['session']}/charter", json={"version": 1}, headers=auth)
        state = (await http.get(f"/api/sessions/{me['session']}", headers=auth)).json()["state"]
    assert state["phase"] == "possibilities"
    kinds = [c["kind"] for c in state["contributions"].values()]
    assert kinds.count("question") == 4 and kinds.count("answer") == 4
    assert kinds.count("proposal") == 3 and state["situation"]["request"]


async def test_a_participant_gets_a_link_for_another_device(server: ServerProcess) -> None:
    """A second link for oneself opens the same participant; the first keeps working."""
    cast = await seat(server, {"nadia": "facilitator", "karim": "member"})
    async with httpx.AsyncClient(base_url=server.url) as http:
        made = await http.post(
            f"/api/sessions/{cast.session}/me/link", json={}, headers=cast.auth("karim")
        )
        assert made.status_code == 201
        other = {"Authorization": f"Bearer {made.json()['link'].rsplit('/', 1)[1]}"}
        for headers in (other, cast.auth("karim")):
            me = (await http.get("/api/me", headers=headers)).json()
            assert me["participant"] == cast.ids["karim"]


async def test_creating_a_session_shows_the_facilitators_link_once(server: ServerProcess) -> None:
    """The home form answers with a page holding the facilitator's personal link."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.post(
            "/sessions",
            data={"title": "Séance 1", "name": "Nadia", "template": "flyer"},
            headers={"Origin": server.url},
        )
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        link = re.search(r'value="(http://[^"]+/j/[^"]+)"', page.text)
        assert link is not None
        entered = await http.get(link.group(1).removeprefix(server.url))
        assert entered.status_code == 303


async def test_the_home_form_sets_the_session_s_length_and_its_timer(
    server: ServerProcess,
) -> None:
    """A facilitator planning a shorter session with countdowns started by hand gets
    exactly that; a length that is no length is refused with the form kept."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        form = {"title": "Séance courte", "name": "Nadia", "template": "flyer", "budget": "1:45"}
        page = await http.post("/sessions", data=form, headers={"Origin": server.url})
        link = re.search(r'value="(http://[^"]+/j/([^"]+))"', page.text)
        assert link is not None
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {link.group(2)}"})
        session = me.json()["session"]
        auth = {"Authorization": f"Bearer {link.group(2)}"}
        await http.post(f"/api/sessions/{session}/charter", json={"version": 1}, headers=auth)
        state = (await http.get(f"/api/sessions/{session}", headers=auth)).json()["state"]
        assert (state["budget_minutes"], state["auto_timer"]) == (105, False)

        refused = await http.post(
            "/sessions", data={**form, "budget": "deux heures"}, headers={"Origin": server.url}
        )
        assert refused.status_code == 400 and 'value="deux heures"' in refused.text
        assert "Séance courte" in refused.text and "entre 15 et 480 minutes" in refused.text
