"""The room in real Chromium: five people play a session through the UI alone.

Every wait is Playwright's auto-waiting ``expect``, never a sleep. Test hooks the page
exposes (static/room/app.js): ``window.codevRoom.state|seq|moves|me|status|pending``
(read-only), ``dropConnection(hold)`` — closes the WebSocket as a network drop would
(with ``hold``, the page stays away until ``resumeConnection()``).
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import msgpack
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from websockets.sync.client import connect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, paints_late, screenshot
from tests.e2e.session.people import (
    SCRIPT_ERRORS,
    Frames,
    contribution,
    create_session,
    enter,
    in_view,
    invite,
    join,
    live,
    next_step,
    person,
    post,
    seen_by_all,
    watch_frames,
    written,
)
from tests.running import ServerProcess

FR = catalogue("fr")
ENABLED_CONTROLS = (
    "Array.from(document.querySelectorAll('#room input, #room textarea, #room select, "
    "#room button')).filter(e => !e.disabled).length"
)
TABLET = {"width": 768, "height": 1024}


def api_state(page: Page, server: ServerProcess, session: str) -> dict[str, Any]:
    """GET /api/sessions/{id} with the page's own cookie: what the server says it may see."""
    response = page.request.get(f"{server.url}/api/sessions/{session}")
    assert response.ok, response.text()
    data: dict[str, Any] = response.json()
    return data


def assert_same_state(page: Page, server: ServerProcess, session: str) -> None:
    """The page's fold equals the server's state for its reader, at the same seq."""
    expect(page.locator("#room .conn-connected")).to_be_visible()
    for _ in range(20):  # presence events may land between the two reads: read again
        served = api_state(page, server, session)
        if page.evaluate("window.codevRoom.seq") == served["seq"]:
            assert page.evaluate("window.codevRoom.state") == served["state"]
            return
        page.wait_for_function(f"window.codevRoom.seq >= {served['seq']}")
    raise AssertionError("the page never caught up with the server")


def record_dialogs(page: Page, opened: list[str]) -> None:
    """Any dialog a page opens (user text run as code) is recorded in ``opened``."""
    page.on("dialog", lambda dialog: opened.append(dialog.message))


# --- a whole session ------------------------------------------------------------------------


def test_five_people_play_a_whole_session_through_the_ui(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Facilitator, narrator, two members and an observer play the flyer's session in
    their own browsers; each contribution appears in every other browser as it is
    posted; each page's state equals the server's; the observer can touch nothing; axe
    finds nothing in any role; the Markdown export holds every visible contribution and
    not the hidden one."""
    dialogs: list[str] = []
    fac = person(browser, contexts)
    session = create_session(fac, server, "Séance de mars", "Nadia")
    links = {
        "narrator": invite(fac, "narrator", "Lucie"),
        "karim": invite(fac, "member", "Karim"),
        "sofia": invite(fac, "member", "Sofia"),
        "observer": invite(fac, "observer", "Paul"),
    }
    nar = enter(browser, contexts, links["narrator"])
    karim = enter(browser, contexts, links["karim"])
    sofia = enter(browser, contexts, links["sofia"])
    obs = enter(browser, contexts, links["observer"])
    everyone = [fac, nar, karim, sofia, obs]
    for page in everyone:
        record_dialogs(page, dialogs)
    for name in ("Lucie", "Karim", "Sofia", "Paul"):
        expect(fac.locator(".people-list li.is-present", has_text=name)).to_be_visible()
    expect(obs.locator(".badge.observer")).to_have_text(FR["room.observer_badge"])

    # The video call, for everyone; a link only because it is an https one.
    fac.get_by_label(FR["console.video_label"]).fill("https://visio.example.org/groupe-qvct")
    fac.get_by_role("button", name=FR["console.video_save"]).click()
    video = obs.get_by_role("link", name=FR["video.join"])
    expect(video).to_have_attribute("href", "https://visio.example.org/groupe-qvct")
    expect(video).to_have_attribute("rel", "noopener noreferrer")
    expect(video).to_have_attribute("target", "_blank")

    # Opening: the previous narrator's follow-up.
    texts = {"follow_up": "J'ai parlé au DRH : le planning a changé depuis."}
    post(karim, "follow_up", texts["follow_up"], everyone)

    # Exposé: the narrator writes the situation and the request, pinned for all.
    next_step(fac, "expose", everyone)
    nar.get_by_role("button", name=FR["situation.write"]).click()
    nar.get_by_label(FR["situation.field_title"]).fill("Un CSE qui ne répond plus")
    nar.get_by_label(FR["situation.context"], exact=True).fill("Mission QVCT dans une PME.")
    nar.get_by_label(FR["situation.problem"], exact=True).fill("Le CSE boycotte les ateliers.")
    nar.get_by_label(FR["situation.question"], exact=True).fill("Comment renouer ?")
    nar.get_by_label(FR["situation.request"], exact=True).fill("Des pistes pour relancer.")
    nar.get_by_role("button", name=FR["situation.save"]).click()
    for page in everyone:
        expect(page.locator(".situation .request-text")).to_have_text("Des pistes pour relancer.")
        expect(page.locator(".situation-title")).to_have_text("Un CSE qui ne répond plus")

    # Step 1: a round table; questions and hypotheses, in turn.
    next_step(fac, "questions", everyone)
    expect(obs.locator(".timer-meta")).to_contain_text(FR["timer.running"])  # by itself
    fac.get_by_role("button", name=FR["floor.start_round"]).click()
    expect(sofia.locator(".hint")).to_contain_text("Karim")
    expect(sofia.locator("form.compose-question")).to_have_count(0)
    texts["q1"] = "Depuis quand le CSE ne vient-il plus ?"
    texts["h1"] = "Peut-être un conflit avec la direction ?"
    post(karim, "question", texts["q1"], everyone)
    post(karim, "hypothesis", texts["h1"], everyone)
    karim.get_by_role("button", name=FR["floor.pass"]).click()
    expect(obs.locator(".round-order .is-turn")).to_contain_text("Sofia")
    texts["q2"] = "Qui a proposé les ateliers ?"
    post(sofia, "question", texts["q2"], everyone)
    announced = FR["announce.question"].format(name="Sofia")
    expect(obs.locator(".visually-hidden[aria-live]")).to_have_text(announced)
    sofia.get_by_role("button", name=FR["floor.pass"]).click()
    expect(fac.locator(".round-order")).to_have_count(0)
    sofia.get_by_role("button", name=FR["floor.raise"]).click()
    expect(fac.locator(".hands")).to_contain_text("Sofia")
    fac.get_by_label(FR["floor.give_to"]).select_option(label=f"Sofia — {FR['role.member']}")
    fac.get_by_role("button", name=FR["floor.give"], exact=True).click()
    expect(karim.locator(".speaker")).to_contain_text("Sofia")
    expect(karim.locator(".hands")).to_have_count(0)
    # Everyone sees how long each person has held the floor, beside their name.
    sofia_row = karim.locator(".people-list li", has_text="Sofia")
    expect(sofia_row.locator(".spoken")).to_contain_text(FR["people.spoken"].split("{")[0])

    # Step 2: the narrator answers under the question, states values and stakes.
    next_step(fac, "understanding", everyone)
    contribution(nar, texts["q1"]).get_by_role("button", name=FR["contrib.answer"]).click()
    texts["a1"] = "Depuis la réorganisation de septembre."
    answer_form = nar.locator(".answers form.compose-answer")
    answer_form.locator("textarea").fill(texts["a1"])
    answer_form.get_by_role("button", name=FR["post.submit"]).click()
    for page in everyone:
        answered = page.locator(".contrib[data-kind=question]", has_text=texts["q1"])
        expect(answered.locator(".contrib[data-kind=answer]")).to_contain_text(texts["a1"])
    texts["values"] = "Le dialogue social avant tout."
    texts["stakes"] = "Garder la mission."
    post(nar, "statement", None, everyone, values=texts["values"], stakes=texts["stakes"])
    texts["r1"] = "Une remarque hors sujet sur un collègue."
    texts["r2"] = "La réorganisation pèse sur tout le monde."
    post(karim, "remark", texts["r1"], everyone)
    post(sofia, "remark", texts["r2"], everyone)
    contribution(fac, texts["r1"]).get_by_role("button", name=FR["contrib.hide"]).click()
    fac.get_by_label(FR["contrib.hide_reason"]).fill("Hors du cadre de la séance")
    fac.get_by_role("button", name=FR["contrib.hide_confirm"]).click()
    hidden_note = FR["contrib.hidden"].format(reason="Hors du cadre de la séance")
    for page in (nar, karim, sofia, obs):
        expect(page.get_by_text(hidden_note)).to_be_visible()
        expect(page.get_by_text(texts["r1"])).to_have_count(0)
    expect(contribution(fac, texts["r1"]).locator(".hidden-note")).to_be_visible()

    # Step 3: proposals and similar situations; the narrator welcomes them.
    next_step(fac, "possibilities", everyone)
    texts["p1"] = "Rencontrer le secrétaire du CSE en tête-à-tête."
    texts["p2"] = "Associer le CSE au choix des thèmes."
    texts["s1"] = "J'ai vécu un boycott semblable en 2022."
    post(karim, "proposal", texts["p1"], everyone)
    post(sofia, "proposal", texts["p2"], everyone)
    post(sofia, "similar_situation", texts["s1"], everyone)
    contribution(nar, texts["p1"]).get_by_role("button", name=FR["welcome.mark_kept"]).click()
    contribution(nar, texts["p2"]).get_by_role("button", name=FR["welcome.mark_explore"]).click()
    kept = FR["welcome.shown"].format(mark=FR["welcome.mark_kept"])
    expect(contribution(karim, texts["p1"]).locator(".welcome")).to_have_text(kept)
    # The facilitator posts for a member who lost their connection.
    behalf = fac.locator(".console .behalf")
    behalf.get_by_label(FR["console.behalf_who"]).select_option(label="Sofia")
    behalf.get_by_label(FR["console.behalf_kind"]).select_option("proposal")
    texts["p3"] = "Proposer un café avec les élus."
    behalf.locator("textarea").fill(texts["p3"])
    behalf.get_by_role("button", name=FR["post.submit"]).click()
    on_behalf = FR["contrib.on_behalf"].format(by="Nadia", author="Sofia")
    expect(contribution(karim, texts["p3"]).locator(".behalf")).to_have_text(on_behalf)
    seen_by_all(everyone, texts["p3"])

    # The moment with the most on screen: every role's page is accessible, the observer's
    # has no control at all.
    for page in everyone:
        assert_no_axe_violations(page)
    assert obs.evaluate(ENABLED_CONTROLS) == 0
    assert obs.locator("#room input, #room textarea, #room select, #room button").count() == 0
    screenshot(fac, "room-facilitator")
    screenshot(nar, "room-narrator")
    screenshot(karim, "room-member")
    screenshot(obs, "room-observer")
    for page in (fac, karim):
        page.set_viewport_size(TABLET)
        assert_no_axe_violations(page)
    screenshot(fac, "room-facilitator-tablet")
    screenshot(karim, "room-member-tablet")

    # Step 4: the action plan, citing the proposal it comes from.
    next_step(fac, "action", everyone)
    plan = nar.locator(".step.current form.compose-action")
    plan.get_by_label(texts["p1"][:40]).check()
    texts["what"] = "Appeler le secrétaire du CSE."
    post(nar, "action", None, everyone, what=texts["what"], how="Par téléphone.", when="Lundi")
    cited = contribution(obs, texts["what"]).locator(".cites")
    expect(cited).to_contain_text(texts["p1"])

    # Closing: what each one takes away; then the end.
    next_step(fac, "closing", everyone)
    texts["t1"] = "Je retiens l'importance du tête-à-tête."
    texts["t2"] = "Merci pour ces pistes concrètes."
    post(karim, "takeaway", texts["t1"], everyone)
    post(nar, "takeaway", texts["t2"], everyone)
    for page in (fac, karim):
        page.set_viewport_size({"width": 1280, "height": 900})

    fac.get_by_role("button", name=FR["console.end"]).click()
    fac.get_by_role("button", name=FR["console.end_yes"]).click()
    for page in everyone:
        expect(page.get_by_text(FR["room.ended"])).to_be_visible()
        # The last step is no longer "in progress" once the session has ended.
        expect(page.locator("#current-step .eyebrow")).to_have_text(FR["step.last"])
    assert obs.evaluate(ENABLED_CONTROLS) == 0
    assert karim.evaluate(ENABLED_CONTROLS) == 0  # nothing left to do once it has ended

    # Each page folded the very state the server holds for its reader.
    for page in everyone:
        assert_same_state(page, server, session)

    # The record: every visible contribution, and not the hidden one.
    exported = nar.request.get(f"{server.url}/s/{session}/export.md")
    assert exported.ok
    markdown = exported.text()
    for key, text in texts.items():
        if key == "r1":
            assert text not in markdown
        else:
            assert text in markdown, key
    assert "Des pistes pour relancer." in markdown
    assert dialogs == []


# --- drops and reconnections ------------------------------------------------------------------


def _small_group(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> tuple[str, Page, Page, Page, Frames]:
    """A facilitator and two members, in step 1 with no round on: members may post."""
    fac = person(browser, contexts)
    session = create_session(fac, server, "Séance d'avril", "Nadia")
    karim_link = invite(fac, "member", "Karim")
    sofia_link = invite(fac, "member", "Sofia")
    karim = person(browser, contexts)
    frames = watch_frames(karim)
    join(karim, karim_link)
    live(karim)
    sofia = enter(browser, contexts, sofia_link)
    for phase in ("expose", "questions"):
        next_step(fac, phase, [fac, karim, sofia])
    return session, fac, karim, sofia, frames


def test_a_dropped_page_comes_back_by_itself_with_nothing_lost_or_doubled(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """The socket of one page closes while others post and while its person has typed
    and sent a question: it reconnects by itself, says in its hello the last seq it
    held, shows what it missed exactly once, and its question is posted once. Then the
    server itself is killed and restarted: the same holds."""
    session, fac, karim, sofia, frames = _small_group(server, browser, contexts)

    held = karim.evaluate("window.codevRoom.seq")
    karim.evaluate("window.codevRoom.dropConnection(true)")
    expect(karim.locator("#room .conn-reconnecting")).to_be_visible()
    missed = ["Qui décide du planning ?", "Le CSE a-t-il été consulté ?"]
    for text in missed:
        post(sofia, "question", text, [fac])
    typed = "Que dit la direction de ce boycott ?"
    form = karim.locator(".step.current form.compose-question")
    form.locator("textarea").fill(typed)
    form.get_by_role("button", name=FR["post.submit"]).click()
    expect(form.get_by_role("button", name=FR["post.queued"])).to_be_visible()
    assert karim.evaluate("window.codevRoom.pending") == 1
    karim.evaluate("window.codevRoom.resumeConnection()")

    live(karim)
    assert frames.hellos()[-1]["seq"] == held
    for text in [*missed, typed]:
        for page in (fac, karim, sofia):
            expect(written(page, text)).to_have_count(1)
    expect(form.locator("textarea")).to_have_value("")
    assert karim.evaluate("window.codevRoom.pending") == 0

    # Sent, then the socket drops before the ack can come: resent with the same key,
    # applied once.
    again = "Avez-vous parlé aux élus eux-mêmes ?"
    form.locator("textarea").fill(again)
    karim.evaluate(
        """() => {
            const form = document.querySelector('.step.current form.compose-question');
            form.querySelector('button[type=submit]').click();
            window.codevRoom.dropConnection();
        }"""
    )
    live(karim)
    for page in (fac, karim, sofia):
        expect(written(page, again)).to_have_count(1)
    sent = [frame for frame in frames.commands() if frame["cmd"].get("body") == {"text": again}]
    keys = [frame["key"] for frame in sent]
    assert len(keys) >= 1 and len(set(keys)) == 1, keys

    # The server dies while Karim sends; it comes back on the same port and database.
    server.kill()
    expect(karim.locator("#room .conn-reconnecting")).to_be_visible()
    during = "Et si le CSE attendait un geste de la direction ?"
    form.locator("textarea").fill(during)
    form.get_by_role("button", name=FR["post.submit"]).click()
    expect(form.get_by_role("button", name=FR["post.queued"])).to_be_visible()
    held = karim.evaluate("window.codevRoom.seq")
    server.start()
    for page in (fac, karim, sofia):
        live(page, timeout=35000)  # a back-off wait may come close to its 30 s ceiling
        expect(written(page, during)).to_have_count(1)
    assert any(hello["seq"] == held for hello in frames.hellos()[-3:])

    # Sent while away, then the page reloaded: the outbox was kept (sessionStorage), and
    # the question goes out once the new page is connected.
    karim.evaluate("window.codevRoom.dropConnection(true)")
    reloaded = "Le planning a-t-il été discuté en CSE ?"
    form.locator("textarea").fill(reloaded)
    form.get_by_role("button", name=FR["post.submit"]).click()
    expect(form.get_by_role("button", name=FR["post.queued"])).to_be_visible()
    karim.reload()
    live(karim)
    for page in (fac, karim, sofia):
        expect(written(page, reloaded)).to_have_count(1)
    for page in (fac, karim, sofia):
        assert_same_state(page, server, session)


def test_members_change_their_own_words_and_a_removed_person_is_told(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """A member edits and withdraws their own question (no one else gets the buttons); the
    facilitator removes a member from the invitation panel, whose page says so and stops."""
    session, fac, karim, sofia, _ = _small_group(server, browser, contexts)
    post(karim, "question", "Question à reformuler ?", [fac, sofia])
    post(karim, "question", "Question en trop ?", [fac, sofia])
    expect(contribution(sofia, "Question à reformuler ?").get_by_role("button")).to_have_count(0)

    cid = contribution(karim, "Question à reformuler ?").get_attribute("data-cid")
    mine = karim.locator(f'.contrib[data-cid="{cid}"]')
    mine.get_by_role("button", name=FR["contrib.edit"]).click()
    mine.locator("textarea").fill("Question reformulée ?")
    mine.get_by_role("button", name=FR["contrib.save"]).click()
    for page in (fac, sofia):
        expect(contribution(page, "Question reformulée ?").locator(".edited")).to_be_visible()
        expect(written(page, "Question à reformuler ?")).to_have_count(0)
    contribution(karim, "Question en trop ?").get_by_role(
        "button", name=FR["contrib.withdraw"]
    ).click()
    for page in (fac, karim, sofia):
        expect(written(page, "Question en trop ?")).to_have_count(0)

    invitee = fac.locator(".invitee", has_text="Sofia")
    invitee.get_by_role("button", name=FR["invite.revoke"].format(name="Sofia")).click()
    invitee.get_by_role("button", name=FR["invite.revoke_yes"].format(name="Sofia")).click()
    expect(sofia.locator("#room .conn-closed")).to_contain_text(FR["close.4010"])
    expect(fac.locator(".people-list")).not_to_contain_text("Sofia")
    assert sofia.evaluate("window.codevRoom.status") == "closed"
    assert_same_state(karim, server, session)


def test_the_countdown_follows_the_server_clock_not_the_computer_clock(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """A member whose computer clock is ten minutes fast still sees the time the server
    counts down (within a few seconds), an overrun as an overrun, and the next step's
    countdown started by the move to it."""
    created = httpx.post(
        f"{server.url}/api/sessions", json={"title": "Séance de mai", "name": "Nadia"}
    ).json()
    session, secret = created["session"], created["link"].rsplit("/", 1)[1]
    fac = person(browser, contexts)
    join(fac, created["link"])
    live(fac)
    link = invite(fac, "member", "Karim")
    karim = person(browser, contexts)
    karim.clock.install(time=time.time() + 600)
    join(karim, link)
    live(karim)
    assert karim.evaluate("Date.now() / 1000") - time.time() > 590  # its clock is off

    fac.get_by_role("button", name=FR["timer.start"]).click()
    expect(karim.locator(".timer-meta")).to_contain_text(FR["timer.running"])
    served = api_state(fac, server, session)
    expected = served["state"]["timer"]["deadline"] - served["now"]
    shown = float(karim.locator(".countdown").get_attribute("data-seconds") or "nan")
    assert abs(shown - expected) < 5, (shown, expected)
    expect(karim.locator(".countdown")).to_have_text(re.compile(r"^(09:[0-5]\d|10:00)$"))

    # Paused, then 15 minutes taken off the 10-minute box (no button does that: a raw
    # client with the facilitator's link): an overrun, shown as one.
    fac.get_by_role("button", name=FR["timer.pause"]).click()
    expect(karim.locator(".timer-meta")).to_contain_text(FR["timer.paused"])
    socket_url = f"{server.ws_url}/s/{session}/ws"
    with connect(socket_url, additional_headers={"Authorization": f"Bearer {secret}"}) as ws:
        ws.send(msgpack.packb({"t": "hello", "seq": 0}))
        command = {"type": "extend_timer", "seconds": -900}
        ws.send(msgpack.packb({"t": "cmd", "key": "overrun-1", "cmd": command}))
        reply: dict[str, Any] = {}
        while reply.get("t") not in ("ack", "error"):
            reply = msgpack.unpackb(ws.recv(timeout=10), raw=False)
        assert reply["t"] == "ack", reply
    before, after = FR["timer.overrun"].split("{time}")
    pattern = re.compile(f"^{re.escape(before)}0[45]:[0-5]\\d{re.escape(after)}$")
    expect(karim.locator(".countdown")).to_have_text(pattern)
    expect(karim.locator(".countdown")).to_have_class(re.compile("overrun"))

    # Moving to the next step starts its countdown by itself, from the server's clock;
    # the session's time shows against its budget.
    fac.get_by_role("button", name=FR["console.next"]).click()
    expect(karim.locator(".timer-meta")).to_contain_text(FR["timer.running"])
    expect(karim.locator(".countdown")).to_have_text(re.compile(r"^(14:[0-5]\d|15:00)$"))
    expect(karim.locator(".countdown")).not_to_have_class(re.compile("overrun"))
    elapsed = FR["budget.elapsed"].split("{elapsed}")[0]
    expect(karim.locator(".budget")).to_contain_text(elapsed)
    expect(karim.locator(".budget")).to_contain_text("2 h 30")


def test_the_facilitator_adjusts_time_boxes_and_everyone_sees_them(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """A facilitator gives the current step 40 minutes instead of 10: the member's
    countdown and time box follow without a reload; a box over 240 minutes is held back."""
    created = httpx.post(
        f"{server.url}/api/sessions", json={"title": "Séance de juin", "name": "Nadia"}
    ).json()
    fac = person(browser, contexts)
    join(fac, created["link"])
    karim = enter(browser, contexts, invite(fac, "member", "Karim"))

    boxes = fac.locator("details.time-boxes")
    boxes.locator("summary").click()
    boxes.get_by_label(FR["phase.opening"]).fill("40")
    expect(boxes).to_contain_text(FR["boxes.total"].format(minutes=180))
    boxes.get_by_role("button", name=FR["boxes.save"]).click()
    expect(karim.locator(".timer-meta")).to_contain_text(FR["timer.box"].format(minutes=40))
    expect(karim.locator(".countdown")).to_have_text("40:00")

    too_long = boxes.get_by_label(FR["phase.expose"])
    too_long.fill("999")  # the browser holds the form back: 240 minutes at most
    boxes.get_by_role("button", name=FR["boxes.save"]).click()
    assert too_long.evaluate("input => input.validity.rangeOverflow")
    assert api_state(fac, server, created["session"])["state"]["time_boxes"]["expose"] == 15
    assert_no_axe_violations(fac)


# --- hostile text -----------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]


def test_hostile_text_is_shown_as_text_or_refused_on_the_page_and_in_exports(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Markup and javascript: URLs typed in a contribution, a name, a hide reason or the
    video link are shown as the very characters typed (or refused, for the link), in
    the room and in both exports; no dialog ever opens."""
    dialogs: list[str] = []
    fac = person(browser, contexts)
    record_dialogs(fac, dialogs)
    session = create_session(fac, server, "Séance <b>test</b>", "Nadia")
    link = invite(fac, "member", HOSTILE[1])
    member = enter(browser, contexts, link)
    record_dialogs(member, dialogs)
    nar_link = invite(fac, "narrator", "Lucie")
    nar = enter(browser, contexts, nar_link)
    record_dialogs(nar, dialogs)
    pages = [fac, member, nar]
    for page in pages:
        expect(page.locator(".people-list")).to_contain_text(HOSTILE[1])
        expect(page.locator("h1")).to_have_text("Séance <b>test</b>")

    # The video link: refused by the server, its message shown near the field.
    for bad in (HOSTILE[2], HOSTILE[1]):
        fac.get_by_label(FR["console.video_label"]).fill(bad)
        fac.get_by_role("button", name=FR["console.video_save"]).click()
        expect(fac.locator(".video .error")).to_be_visible()
        expect(fac.get_by_label(FR["console.video_label"])).to_have_value(bad)
    expect(member.get_by_role("link", name=FR["video.join"])).to_have_count(0)

    for phase in ("expose", "questions"):
        next_step(fac, phase, pages)
    for text in HOSTILE:
        post(member, "question", text)
    for page in pages:
        for text in HOSTILE:
            expect(written(page, text)).to_have_count(1)
    contribution(fac, HOSTILE[0]).get_by_role("button", name=FR["contrib.hide"]).click()
    fac.get_by_label(FR["contrib.hide_reason"]).fill(HOSTILE[1])
    fac.get_by_role("button", name=FR["contrib.hide_confirm"]).click()
    expect(member.get_by_text(FR["contrib.hidden"].format(reason=HOSTILE[1]))).to_be_visible()
    assert member.locator("#room img, #room script").count() == 0

    # The exports: Markdown escapes the markup (a renderer shows it as typed); the
    # printable page shows it as text. The hidden question is in neither.
    markdown = nar.request.get(f"{server.url}/s/{session}/export.md").text()
    assert re.search(r"(?<!\\)<", markdown) is None, "a < left unescaped in Markdown"
    literal = re.sub(r"\\(.)", r"\1", markdown)
    for text in HOSTILE[1:]:
        assert text in literal, text
    assert HOSTILE[0] not in literal
    printable = nar.context.new_page()
    record_dialogs(printable, dialogs)
    printable.goto(f"{server.url}/s/{session}/export.html")
    for text in HOSTILE[1:]:
        expect(printable.locator("body")).to_contain_text(text)
    assert printable.locator("body img, main script").count() == 0
    assert dialogs == []


def test_a_room_that_paints_late_still_comes_live(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """The snapshot comes before the view subscribes to the connection: the room shows
    it all the same, not "connecting" until someone posts."""
    fac = person(browser, contexts)
    create_session(fac, server, "Séance de mai", "Nadia")
    link = invite(fac, "member", "Karim")
    karim = person(browser, contexts)
    paints_late(karim)
    join(karim, link)
    expect(karim.get_by_text("Nadia").first).to_be_visible()


def test_the_console_offers_removal_only_where_the_server_would_remove(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """A co-facilitator is not offered "Retirer" for the facilitator who holds the token
    (the server refuses it), but is for a member; once the token passes to them, the
    offer moves with it, live, on both consoles. On every console, each row's "Retirer"
    and "Nouveau lien" are there exactly for the people the server lists (never oneself),
    and a refused invitation says why in the form."""
    nadia = person(browser, contexts)
    session = create_session(nadia, server, "Séance de juin", "Nadia")
    louis = enter(browser, contexts, invite(nadia, "facilitator", "Louis"))
    invite(nadia, "member", "Karim")
    invite(nadia, "observer", "Olivier")

    def revoke(page: Page, name: str) -> Locator:
        row = page.locator(".invitee", has_text=name)
        return row.get_by_role("button", name=FR["invite.revoke"].format(name=name))

    def rows_match_the_server(page: Page) -> None:
        served = page.request.get(f"{server.url}/api/sessions/{session}").json()
        moves = served["moves"]
        for pid, participant in served["state"]["participants"].items():
            row = page.locator(f'.invitee[data-pid="{pid}"]')
            name = participant["name"]
            for key, label in (
                ("remove_participant", "invite.revoke"),
                ("reissue_link", "invite.reissue"),
            ):
                button = row.get_by_role("button", name=FR[label].format(name=name))
                expect(button).to_have_count(1 if pid in moves[key] else 0)
        me = served["me"]["participant"]
        assert me not in moves["remove_participant"] and me not in moves["reissue_link"]

    expect(revoke(louis, "Karim")).to_be_visible()
    expect(louis.locator(".invitee", has_text="Nadia")).to_be_visible()
    expect(revoke(louis, "Nadia")).to_have_count(0)
    expect(revoke(nadia, "Louis")).to_be_visible()
    for page in (nadia, louis):
        rows_match_the_server(page)

    nadia.get_by_label(FR["console.token_to"]).select_option(label="Louis")
    nadia.get_by_role("button", name=FR["console.token_pass"]).click()
    expect(revoke(louis, "Nadia")).to_be_visible()
    expect(revoke(nadia, "Louis")).to_have_count(0)
    expect(revoke(nadia, "Karim")).to_be_visible()
    for page in (nadia, louis):
        rows_match_the_server(page)

    # A refusal from the HTTP API is told where the person acted.
    panel = louis.locator("section.invitations")
    panel.get_by_label(FR["invite.name"]).fill("   ")
    panel.get_by_role("button", name=FR["invite.create"]).click()
    expect(panel.locator(".invite-form [role=alert]")).to_be_visible()
    expect(panel.locator(".new-link")).to_have_count(0)
    # The browser logs the refused request itself; that one was provoked here.
    SCRIPT_ERRORS[:] = [e for e in SCRIPT_ERRORS if "status of 400" not in e]


ISOLATION = "e => [getComputedStyle(e).direction, getComputedStyle(e).unicodeBidi]"


def test_names_lose_direction_controls_and_texts_are_shown_isolated(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """A member invited as "Jean<U+202E>evil" is shown as "Jeanevil": the override
    that would reverse the rest of each line is gone. A question written in Hebrew is
    shown right to left in an isolate of its own, beside its author's isolated name,
    in the room and in both exports."""
    fac = person(browser, contexts)
    session = create_session(fac, server, "Séance", "Nadia")
    member = enter(browser, contexts, invite(fac, "member", "Jean\u202eevil"))
    for page in (fac, member):
        expect(page.locator(".people-list .person-name", has_text="Jean")).to_have_text("Jeanevil")
        assert "\u202e" not in page.locator("#room").inner_text()
    for phase in ("expose", "questions"):
        next_step(fac, phase, [fac, member])
    hebrew = "מה השאלה? 42"
    post(member, "question", hebrew, [fac])
    shown = contribution(fac, hebrew)
    assert shown.locator("p.text").evaluate(ISOLATION) == ["rtl", "isolate"]
    author = shown.locator(".author")
    expect(author).to_have_text("Jeanevil")
    assert author.evaluate(ISOLATION) == ["ltr", "isolate"]

    printable = fac.context.new_page()
    printable.goto(f"{server.url}/s/{session}/export.html")
    text = printable.locator(".record .record-text", has_text=hebrew)
    assert text.evaluate(ISOLATION) == ["rtl", "isolate"]
    expect(printable.locator(".record .author bdi")).to_have_text("Jeanevil")
    markdown = fac.request.get(f"{server.url}/s/{session}/export.md").text()
    assert f"(\u2068Jeanevil\u2069) — \u2068{hebrew}\u2069" in markdown


def test_the_live_work_is_in_view_without_scrolling(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """In the questions step, on a laptop: the step and its countdown, who has the floor
    and the hands, the narrator's request, and each person's own controls — the
    facilitator's next step, the member's hand and question — are on screen without
    scrolling and under nothing. On a phone, the bar holding the step, the countdown,
    the floor and the member's hand stays on screen as the page scrolls."""
    fac = person(browser, contexts, viewport={"width": 1366, "height": 768})
    create_session(fac, server, "Séance de juin", "Nadia")
    nar = enter(browser, contexts, invite(fac, "narrator", "Inès"))
    karim = enter(
        browser, contexts, invite(fac, "member", "Karim"), viewport={"width": 1366, "height": 768}
    )
    next_step(fac, "expose", [fac, nar, karim])
    nar.get_by_role("button", name=FR["situation.write"]).click()
    nar.get_by_label(FR["situation.field_title"]).fill("Un CSE qui ne répond plus")
    nar.get_by_label(FR["situation.context"], exact=True).fill("Une PME de 120 salariés.\n" * 8)
    nar.get_by_label(FR["situation.request"], exact=True).fill("Des pistes pour relancer.")
    nar.get_by_role("button", name=FR["situation.save"]).click()
    next_step(fac, "questions", [fac, nar, karim])
    karim.get_by_role("button", name=FR["floor.raise"]).click()
    expect(fac.locator(".now-hands")).to_contain_text("Karim")

    for page in (fac, karim):
        for shown in (".now-bar .countdown", ".now-speaker", ".now-hands", ".request-text"):
            in_view(page.locator(shown), 24)
    in_view(fac.get_by_role("button", name=FR["console.next"], exact=True), 24)
    in_view(karim.get_by_role("button", name=FR["floor.lower"]), 24)
    in_view(karim.locator("form.compose-question textarea"), 24)
    in_view(karim.locator("form.compose-question button[type=submit]"), 24)

    karim.set_viewport_size({"width": 390, "height": 844})
    karim.locator(".step.current").scroll_into_view_if_needed()
    for shown in (".now-bar .countdown", ".now-speaker"):
        in_view(karim.locator(shown), 44)
    in_view(karim.get_by_role("button", name=FR["floor.lower"]), 44)
    screenshot(karim, "room-member-phone-questions")
    screenshot(fac, "room-facilitator-questions")


def test_what_arrives_is_marked_new_until_seen_and_announced(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Karim posts a question: Sofia's screen marks it new and her screen reader is told;
    once it has been on her screen a moment the mark goes. Karim's own is never new."""
    _, fac, karim, sofia, _ = _small_group(server, browser, contexts)
    post(karim, "question", "Depuis quand le CSE boude-t-il ?", [fac, karim, sofia])
    card = contribution(sofia, "Depuis quand le CSE boude-t-il ?")
    expect(sofia.locator(".visually-hidden[aria-live]")).to_have_text(
        FR["announce.question"].format(name="Karim")
    )
    expect(card).to_have_class(re.compile(r"\bis-new\b"))
    expect(card.locator(".tag.new")).to_have_text(FR["contrib.new"])
    expect(contribution(karim, "Depuis quand le CSE boude-t-il ?")).not_to_have_class(
        re.compile(r"\bis-new\b")
    )
    expect(card).not_to_have_class(re.compile(r"\bis-new\b"))  # seen: on screen a moment
    # Every card carries its author's initials, on the same colour on every screen.
    colours = [
        contribution(page, "Depuis quand le CSE boude-t-il ?")
        .locator(".avatar")
        .evaluate("e => [e.textContent, getComputedStyle(e).backgroundColor]")
        for page in (fac, karim, sofia)
    ]
    assert colours[0] == colours[1] == colours[2] and colours[0][0] == "KA", colours


def test_the_minute_to_minute_actions_have_keys(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """The facilitator moves to the next step and pauses the countdown with N and T, a
    member raises and lowers their hand with M, the facilitator gives the floor with G
    and runs the round table with R; a key typed in a field is only text; the help
    lists the keys each person has."""
    _, fac, karim, sofia, _ = _small_group(server, browser, contexts)
    fac.keyboard.press("t")
    expect(karim.locator(".timer-meta")).to_contain_text(FR["timer.paused"])
    karim.keyboard.press("m")
    expect(fac.locator(".now-hands")).to_contain_text("Karim")
    form = karim.locator("form.compose-question")
    form.locator("textarea").press("m")
    expect(form.locator("textarea")).to_have_value("m")
    expect(fac.locator(".now-hands")).to_contain_text("Karim")  # still raised, not lowered
    karim.locator(".now-step").click()  # out of the field: keys act again
    karim.keyboard.press("m")
    expect(fac.locator(".now-hands")).not_to_contain_text("Karim")
    # The floor from the bar: G to the first raised hand, R for the round table and
    # then for each next member, each key also a button that says whom it names.
    sofia.keyboard.press("m")
    expect(fac.get_by_role("button", name=FR["now.give_to"].format(name="Sofia"))).to_be_visible()
    fac.keyboard.press("g")
    expect(karim.locator(".now-speaker")).to_contain_text("Sofia")
    fac.keyboard.press("r")
    expect(karim.locator(".now-speaker")).to_contain_text("Karim")
    fac.get_by_role("button", name=FR["now.next_to"].format(name="Sofia")).click()
    expect(karim.locator(".now-speaker")).to_contain_text("Sofia")
    fac.keyboard.press("r")
    expect(karim.locator(".now-speaker")).to_have_text(FR["floor.none"])
    fac.keyboard.press("n")
    for page in (fac, karim, sofia):
        expect(page.locator('.stepper [aria-current="step"]')).to_contain_text(
            FR["phase.understanding"]
        )
    fac.get_by_text(FR["shortcuts.title"]).click()
    expect(fac.locator(".shortcuts")).to_contain_text(FR["shortcuts.n"])
    karim.get_by_text(FR["shortcuts.title"]).click()
    expect(karim.locator(".shortcuts")).not_to_contain_text(FR["shortcuts.n"])
