"""The group's space, live, in real Chromium: the cycle's calendar built together, the
thread between sessions, and every other part of the page following the group.

Nadia proposes three dates; Claire, Karim and Sophie, each in their own browser, answer
them and see each other's answers appear without a reload; Nadia fixes two dates and
closes the poll, and the fixed dates are sessions of the cycle. Then Karim asks the
group for help in the thread, and Claire's answer reaches him as it is posted.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, new_person, paints_late, screenshot
from tests.running import ServerProcess

FR = catalogue("fr")
MEMBERS = ("claire", "karim", "sophie")
DATES = ("2027-01-12T14:00", "2027-02-09T14:00", "2027-03-09T09:30")
ANSWER = {"yes": FR["group.poll.answer.yes"], "if_needed": FR["group.poll.answer.if_needed"]}
ANSWER["no"] = FR["group.poll.answer.no"]
# Who answers what, per slot (t1, t2, t3 in proposal order).
ANSWERS = {
    "claire": ("yes", "yes", "no"),
    "karim": ("yes", "if_needed", "no"),
    "sophie": ("if_needed", "yes", "yes"),
}


def _secret(link: str) -> str:
    return link.rsplit("/", 1)[1]


def _group_with_members(server: ServerProcess) -> tuple[str, dict[str, str], dict[str, str]]:
    """Nadia's group with Claire, Karim and Sophie admitted, over the API. Returns the
    group's id, everyone's link and person id."""
    with httpx.Client(base_url=server.url) as http:
        created = http.post(
            "/api/groups", json={"name": "Codev Lyon 2027", "facilitator_name": "Nadia"}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        group = body["group"]
        links, ids = {"nadia": body["link"]}, {"nadia": body["person"]}

        def do(who: str, **command: Any) -> dict[str, Any]:
            answer = http.post(
                f"/api/groups/{group}/commands",
                json=command,
                headers={"Authorization": f"Bearer {_secret(links[who])}"},
            )
            assert answer.status_code == 200, answer.text
            done: dict[str, Any] = answer.json()
            return done

        for name in MEMBERS:
            invited = do("nadia", type="invite_person", name=name.capitalize())
            links[name], ids[name] = invited["link"], invited["id"]
            do(name, type="accept_charter", version=1)
            do("nadia", type="admit_person", person=ids[name], note="Échange en décembre.")
    return group, links, ids


def _enter(browser: Browser, contexts: list[BrowserContext], link: str) -> Page:
    """A person opens their group link in their own browser and reaches the group's
    space, its live part rendered."""
    page = new_person(browser, contexts)
    page.goto(link)
    expect(page.get_by_role("heading", name=FR["group.poll.title"])).to_be_visible()
    expect(page.get_by_role("heading", name=FR["group.thread.title"])).to_be_visible()
    return page


def _slot(page: Page, slot: str) -> Locator:
    return page.locator(f'#group-live article[data-slot="{slot}"]')


def _answer_line(page: Page, slot: str, person: str) -> Locator:
    return _slot(page, slot).locator(f'li[data-person="{person}"]')


def test_a_calendar_poll_answered_live_then_fixed(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    group, links, ids = _group_with_members(server)
    nadia = _enter(browser, contexts, links["nadia"])
    members = {name: _enter(browser, contexts, links[name]) for name in MEMBERS}
    for page in members.values():
        expect(page.get_by_text(FR["group.poll.none"])).to_be_visible()
        # Members have no facilitator's controls.
        expect(page.get_by_role("button", name=FR["group.poll.propose.send"])).to_have_count(0)

    # Nadia proposes three dates in one form.
    for index, date in enumerate(DATES):
        if index:
            nadia.get_by_role("button", name=FR["group.poll.propose.add"]).click()
        label = FR["group.poll.propose.date"].format(n=index + 1)
        nadia.get_by_label(label, exact=True).fill(date)
    nadia.get_by_role("button", name=FR["group.poll.propose.send"]).click()
    for page in (nadia, *members.values()):
        expect(page.locator("#group-live article[data-slot]")).to_have_count(3)
        expect(page.get_by_text(FR["group.poll.open"])).to_be_visible()

    # Each member answers every date; the others see each answer appear.
    for name, answers in ANSWERS.items():
        page = members[name]
        for number, answer in enumerate(answers, start=1):
            slot = f"t{number}"
            button = _slot(page, slot).get_by_role("button", name=ANSWER[answer], exact=True)
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true")
            expected = FR["group.poll.person_answer"].format(
                name=name.capitalize(), answer=ANSWER[answer]
            )
            for other in (nadia, *members.values()):
                expect(_answer_line(other, slot, ids[name])).to_have_text(expected)
    # Everyone's view of t1 is the same, counts included; Nadia has not answered.
    counts = FR["group.poll.count"].format(yes=2, if_needed=1, no=0, none=1)
    for page in (nadia, *members.values()):
        expect(_slot(page, "t1").get_by_text(counts)).to_be_visible()
    # The announcement names the last answer for those who did not give it.
    sophie_t3 = FR["group.poll.news.answered"].format(
        name="Sophie", answer=ANSWER["yes"], date="mardi 9 mars 2027 à 09:30"
    )
    expect(members["claire"].locator(".poll [aria-live=polite]")).to_have_text(sophie_t3)
    assert_no_axe_violations(members["karim"])
    assert_no_axe_violations(nadia)
    screenshot(nadia, "group-live-poll-facilitator")

    # Nadia fixes the first two dates, each with the rotation's suggested narrator
    # preselected, and closes the poll: everyone sees it at once.
    for slot in ("t1", "t2"):
        _slot(nadia, slot).get_by_role("button", name=FR["group.poll.fix"]).click()
        for page in (nadia, *members.values()):
            expect(
                _slot(page, slot).get_by_text(FR["group.poll.fixed"], exact=True)
            ).to_be_visible()
    expect(_slot(nadia, "t3").get_by_role("button", name=FR["group.poll.fix"])).to_be_visible()
    nadia.get_by_role("button", name=FR["group.poll.close"]).click()
    for page in members.values():
        expect(page.get_by_text(FR["group.poll.closed"])).to_be_visible()
        expect(
            _slot(page, "t1").get_by_role("button", name=ANSWER["yes"], exact=True)
        ).to_have_count(0)
    screenshot(members["claire"], "group-live-poll")

    # The fixed dates are the sessions of the cycle, with their narrators: one each,
    # on every page already, without a reload.
    claire = members["claire"]
    sessions = claire.locator("ul.sessions > li")
    expect(sessions).to_have_count(2)
    expect(sessions.nth(0)).to_contain_text("mardi 12 janvier 2027 à 14:00")
    expect(sessions.nth(0)).to_contain_text("Claire")
    expect(sessions.nth(1)).to_contain_text("mardi 9 février 2027 à 14:00")
    expect(sessions.nth(1)).to_contain_text("Karim")
    expect(_slot(claire, "t3")).to_be_visible()
    assert group in claire.url


def test_a_thread_message_and_its_reply_appear_live(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    _, links, _ = _group_with_members(server)
    karim = _enter(browser, contexts, links["karim"])
    claire = _enter(browser, contexts, links["claire"])
    expect(claire.get_by_text(FR["group.thread.none"])).to_be_visible()

    # Karim asks the group for help; Claire sees it arrive, and is told so.
    question = "Un client change le périmètre chaque semaine : <b>comment</b> tenir le cadre ?"
    karim.get_by_label(FR["group.thread.new"]).fill(question)
    karim.get_by_role("button", name=FR["group.thread.send"], exact=True).click()
    expect(karim.get_by_label(FR["group.thread.new"])).to_have_value("")
    message = claire.locator('#group-live li[data-message="m1"]')
    expect(message.locator(".text")).to_have_text(question)  # text, never markup
    expect(message.locator(".author")).to_have_text("Karim")
    # The name and the text are isolated: a right-to-left one reorders nothing around it.
    isolation = message.evaluate(
        """(li) => [li.querySelector('.author'), li.querySelector('.text')]
            .map((el) => getComputedStyle(el).unicodeBidi)"""
    )
    assert isolation == ["isolate", "isolate"], isolation
    news = FR["group.thread.news.one"].format(name="Karim")
    expect(claire.locator(".thread [aria-live=polite]")).to_have_text(news)

    # Claire answers under his message; Karim sees the answer under his question.
    claire.get_by_role("button", name=FR["group.thread.reply_to"].format(name="Karim")).click()
    reply = "Un avenant signé à chaque changement, et un comité mensuel."
    claire.get_by_label(FR["group.thread.reply_label"].format(name="Karim")).fill(reply)
    claire.get_by_role("button", name=FR["group.thread.reply_send"]).click()
    answers = karim.get_by_role("list", name=FR["group.thread.replies"].format(name="Karim"))
    expect(answers.locator('li[data-message="m2"] .text')).to_have_text(reply)
    expect(answers.locator(".author")).to_have_text("Claire")
    expect(karim.locator(".thread [aria-live=polite]")).to_have_text(
        FR["group.thread.news.one"].format(name="Claire")
    )

    # An empty message is refused by the server's rules, said in a role="alert".
    karim.get_by_label(FR["group.thread.new"]).fill("   ")
    karim.get_by_role("button", name=FR["group.thread.send"], exact=True).click()
    expect(karim.get_by_role("alert")).to_have_text(FR["error.invalid.text"])

    # A dropped socket comes back by itself, and what was missed shows.
    karim.evaluate("window.codevGroup.dropConnection()")
    claire.get_by_label(FR["group.thread.new"]).fill("Et pour les délais de paiement ?")
    claire.get_by_role("button", name=FR["group.thread.send"], exact=True).click()
    expect(karim.locator('#group-live li[data-message="m3"] .text')).to_have_text(
        re.compile("délais de paiement")
    )
    assert_no_axe_violations(karim)
    screenshot(karim, "group-live-thread")


def test_a_page_that_paints_late_still_shows_the_group(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    _, links, _ = _group_with_members(server)
    page = new_person(browser, contexts)
    paints_late(page)
    page.goto(links["claire"])
    expect(page.get_by_text(FR["group.poll.none"])).to_be_visible()
    expect(page.get_by_role("heading", name=FR["group.thread.title"])).to_be_visible()


def test_every_part_of_the_page_follows_the_group(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Nadia plans a session with the page's form while Claire is writing a draft: the
    session appears in Claire's list at once, and her half-written title is untouched
    until she leaves it. An application from the public page appears in Nadia's list
    while she has a form open, which stays open. Inès, waiting, sees her page turn into
    the group's space the moment she is admitted."""
    group, links, ids = _group_with_members(server)
    with httpx.Client(base_url=server.url) as http:
        auth = {"Authorization": f"Bearer {_secret(links['nadia'])}"}
        invited = http.post(
            f"/api/groups/{group}/commands",
            json={"type": "invite_person", "name": "Inès"},
            headers=auth,
        ).json()
        ines_auth = {"Authorization": f"Bearer {_secret(invited['link'])}"}
        accepted = http.post(
            f"/api/groups/{group}/commands",
            json={"type": "accept_charter", "version": 1},
            headers=ines_auth,
        )
        assert accepted.status_code == 200, accepted.text
    nadia = _enter(browser, contexts, links["nadia"])
    claire = _enter(browser, contexts, links["claire"])
    ines = new_person(browser, contexts)
    ines.goto(invited["link"])
    expect(ines.get_by_text(FR["group.waiting.body"])).to_be_visible()

    title = claire.get_by_label(FR["group.drafts.title_field"], exact=True)
    title.fill("Un client qui change")  # typing, not saved: focus stays in the field
    nadia.get_by_label(FR["group.sessions.date"], exact=True).last.fill("2027-01-12T14:00")
    nadia.get_by_role("button", name=FR["group.sessions.plan_save"]).click()
    expect(nadia.locator("ul.sessions > li")).to_have_count(1)
    claire_sessions = claire.locator("ul.sessions > li")
    expect(claire_sessions).to_have_count(1)
    expect(claire_sessions.first).to_contain_text("mardi 12 janvier 2027 à 14:00")
    expect(title).to_be_focused()
    expect(title).to_have_value("Un client qui change")

    # Nadia opens the replanning form of that session; an application arrives.
    replan = nadia.locator("ul.sessions > li details", has_text=FR["group.sessions.replan"])
    replan.get_by_text(FR["group.sessions.replan"]).click()
    expect(replan).to_have_attribute("open", "")
    with httpx.Client(base_url=server.url) as http:
        published = http.post(
            f"/api/groups/{group}/commands",
            json={"type": "set_published", "published": True},
            headers=auth,
        )
        assert published.status_code == 200, published.text
        form = {"name": "Paul Brun", "email": "paul@example.org", "practice": "Coach."}
        assert http.post(f"/p/{group}", data=form).status_code == 200
    expect(nadia.locator("#applications ~ article bdi", has_text="Paul Brun")).to_be_visible()
    expect(replan).to_have_attribute("open", "")

    # Inès is admitted: her waiting page becomes the group's space by itself.
    nadia.get_by_label(FR["group.people.admission_note"]).fill("Échange le 2 décembre.")
    nadia.get_by_role("button", name=FR["group.people.admit"]).click()
    expect(ines.get_by_role("heading", name=FR["group.sessions.title"])).to_be_visible()
    expect(ines.get_by_role("heading", name=FR["group.poll.title"])).to_be_visible()
    # Claire's page shows Inès among the group's people, and her title is still hers.
    expect(claire.locator("ul.roster")).to_contain_text("Inès")
    expect(title).to_have_value("Un client qui change")
    screenshot(claire, "group-live-parts-member")
