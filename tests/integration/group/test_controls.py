"""No group page offers what the server would refuse: every form of the group's space is
a move the server lists for that person now, and every move listed there has its form
(or its control on the page's live part), over a group in every state a control
depends on — a person waiting, one removed, an open application and a declined one, a
session that began, one to come, one cancelled, a draft handed over."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from room.client import RoomClient
from room.domain.session import commands as c
from tests.integration.groups import GroupCast, found
from tests.running import ServerProcess

# Moves offered by the space's live part (the poll and the thread, drawn from the same
# list by static/group/*.js), or on another page: accepting the charter has its own page,
# confirming attendance is the sheet's, correcting one's name and address is /me's.
ELSEWHERE = {
    "correct_person",
    "accept_charter",
    "propose_slots",
    "answer_slot",
    "fix_slot",
    "close_poll",
    "post_message",
    "confirm_attendance",
}
TARGETS = ("person", "session", "draft", "application", "slot")
# Saving a draft names it to say which text it replaces: one move, for new and own alike.
UNTARGETED = {"save_draft"}


class _Forms(HTMLParser):
    """The move each form of a page would post: its type and the field it targets."""

    def __init__(self) -> None:
        super().__init__()
        self.moves: set[tuple[str, ...]] = set()
        self._form: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": fields.get("action", "")}
        elif tag == "input" and self._form is not None and fields.get("type") == "hidden":
            self._form[fields.get("name", "")] = fields.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag != "form" or self._form is None:
            return
        form, self._form = self._form, None
        if "/people/" in form["action"]:  # a new link: /g/{group}/people/{person}/link
            self.moves.add(("reissue_link", form["action"].split("/")[-2]))
            return
        target = [form[name] for name in TARGETS if name in form]
        if form["type"] in UNTARGETED:
            target = []
        self.moves.add((form["type"], *target))


class _Names(HTMLParser):
    """The accessible name of every button and summary: its aria-label, else its text."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._open: list[list[str]] = []  # the text of each control being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("button", "summary"):
            label = dict(attrs).get("aria-label")
            self._open.append([label] if label else [])
            self._labelled = bool(label)

    def handle_data(self, data: str) -> None:
        if self._open and not self._labelled:
            self._open[-1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("button", "summary") and self._open:
            self.names.append(" ".join(" ".join(self._open.pop()).split()))


async def _offered(http: httpx.AsyncClient, cast: GroupCast, name: str) -> set[tuple[str, ...]]:
    page = await http.get(f"/g/{cast.group}", headers=cast.auth(name))
    assert page.status_code == 200, page.text
    forms = _Forms()
    forms.feed(page.text)
    return forms.moves


async def _listed(http: httpx.AsyncClient, cast: GroupCast, name: str) -> set[tuple[str, ...]]:
    return {tuple(move) for move in (await cast.view(http, name))["moves"]}


async def test_every_control_of_the_space_is_a_move_the_server_lists(
    server: ServerProcess,
) -> None:
    cast = await found(server, ("claire", "karim", "sophie"))
    ids = cast.ids
    async with httpx.AsyncClient(base_url=server.url) as http:
        held = await cast.plan(http, "2027-01-12T14:00", "claire")
        later = await cast.plan(http, "2027-02-09T14:00", "karim")
        dropped = await cast.plan(http, "2027-03-09T14:00", "sophie")
        await cast.do(http, "nadia", type="cancel_session", session=dropped)
        draft = await cast.do(http, "karim", type="save_draft", title="Un client pressé")
        await cast.do(http, "karim", type="use_draft", draft=draft["id"], session=later)
        await cast.invite(http, "ines")
        await cast.do(http, "ines", type="accept_charter", version=1)  # waiting
        await cast.invite(http, "lucas")
        await cast.do(http, "nadia", type="remove_person", person=ids["lucas"])
        await cast.invite(http, "marc", by="nadia")
        await cast.do(http, "nadia", type="set_published", published=True)
        for applicant in ("Paul Brun", "Léa Roux"):
            form = {"name": applicant, "email": "p@example.org", "practice": "Coach."}
            assert (await http.post(f"/p/{cast.group}", data=form)).status_code == 200
        applications = (await cast.view(http, "nadia"))["state"]["applications"]
        declined = sorted(applications)[1]
        await cast.do(http, "nadia", type="decline_application", application=declined)

        nadia = await RoomClient.connect(cast.links["nadia"], session=held)
        claire = await RoomClient.connect(cast.links["claire"], session=held)
        await nadia.send(c.EndSession())
        await claire.wait_for(lambda s: s.ended)
        for client in (nadia, claire):
            await client.close()

        for name in ("nadia", "claire", "karim", "sophie"):
            offered, listed = await _offered(http, cast, name), await _listed(http, cast, name)
            assert offered <= listed, (name, offered - listed)
            missing = {m for m in listed - offered if m[0] not in ELSEWHERE}
            assert not missing, (name, missing)

        # Each control names what it acts on: no two say the same ("Admettre" twice).
        for name in ("nadia", "karim"):
            page = await http.get(f"/g/{cast.group}", headers=cast.auth(name))
            names = _Names()
            names.feed(page.text)
            repeated = {n for n in names.names if names.names.count(n) > 1}
            assert names.names and not repeated, (name, repeated)

        facilitator = await _offered(http, cast, "nadia")
        # What the guards refuse is absent: the session that began cannot be cancelled,
        # the cancelled one is done with (the one to come may be erased: a situation may
        # have been handed to it); nobody
        # removes themselves, the removed and the admitted are not admitted again, a
        # declined application is closed.
        assert ("erase_session", held) in facilitator
        assert ("cancel_session", held) not in facilitator
        assert ("cancel_session", later) in facilitator
        assert ("erase_session", later) in facilitator
        assert not {m for m in facilitator if dropped in m}
        assert ("admit_person", ids["ines"]) in facilitator
        assert ("admit_person", ids["marc"]) not in facilitator  # invited, has not accepted
        assert ("admit_person", ids["claire"]) not in facilitator
        assert ("remove_person", ids["nadia"]) not in facilitator
        assert ("reissue_link", ids["nadia"]) not in facilitator
        assert not {m for m in facilitator if ids["lucas"] in m}
        assert ("remove_person", ids["claire"]) in facilitator
        assert not {m for m in facilitator if declined in m}
        open_application = sorted(applications)[0]
        assert ("invite_applicant", open_application) in facilitator
        # Claire sat in the session that began: hers to confirm; Karim and Sophie did not.
        assert ("confirm_presence", held) in await _offered(http, cast, "claire")
        assert ("confirm_presence", held) not in await _offered(http, cast, "sophie")
        karim = await _offered(http, cast, "karim")
        assert {("use_draft", draft["id"]), ("delete_draft", draft["id"])} <= karim
        assert not {m for m in karim if m[0] in ("plan_session", "remove_person")}


async def test_a_refused_move_is_refused_by_the_server_too(server: ServerProcess) -> None:
    """What the page does not offer, the server does not take: a session that began is
    not cancelled (409 session_begun), a facilitator does not remove themselves (400)."""
    cast = await found(server, ("claire",))
    async with httpx.AsyncClient(base_url=server.url) as http:
        held = await cast.plan(http, "2027-01-12T14:00", "claire")
        nadia = await RoomClient.connect(cast.links["nadia"], session=held)
        await nadia.close()
        cancel = await cast.try_(http, "nadia", type="cancel_session", session=held)
        assert cancel.status_code == 409 and cancel.json()["params"] == {"what": "session_begun"}
        self_removal = await cast.try_(
            http, "nadia", type="remove_person", person=cast.ids["nadia"]
        )
        assert self_removal.status_code == 400 and self_removal.json()["message"]
        # Role before target: a member asking to cancel is told their role, not the state.
        member = await cast.try_(http, "claire", type="cancel_session", session=held)
        assert member.status_code == 403 and member.json()["code"] == "forbidden_role"
