"""Questions that are questions, in real Chromium: the composer of a step-1 question
says when the text reads as advice, with the method's reason, and still posts it.

Every wait is Playwright's auto-waiting ``expect``, never a sleep.
"""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, expect

from room.domain.session.advice import reads_as_advice, rules_as_data
from room.i18n import catalogue
from tests.domain.session.test_advice import EXAMPLES, labelled
from tests.e2e.conftest import screenshot
from tests.e2e.session.people import (
    create_session,
    enter,
    invite,
    next_step,
    person,
    post,
)
from tests.running import ServerProcess

FR = catalogue("fr")


def test_a_question_that_reads_as_advice_is_told_so_and_may_still_be_posted(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Karim's "Pourquoi ne pas…" brings the note and its reason, and posts anyway;
    Sofia's genuine question brings no note; the facilitator sees one such question
    posted in step 1, and the members see no count."""
    fac = person(browser, contexts)
    session = create_session(fac, server, "Séance de mai", "Nadia")
    karim = enter(browser, contexts, invite(fac, "member", "Karim"))
    sofia = enter(browser, contexts, invite(fac, "member", "Sofia"))
    everyone = [fac, karim, sofia]
    for phase in ("expose", "questions"):
        next_step(fac, phase, everyone)

    form = karim.locator(".step.current form.compose-question")
    form.locator("textarea").fill("Pourquoi ne pas en parler au DRH ?")
    note = form.locator(".advice")
    expect(form).to_have_attribute("data-advice", "advice")
    expect(note).to_contain_text(FR["advice.note"])
    expect(note).to_contain_text(FR["advice.reason.proposal"])
    for width, height in ((390, 844), (1366, 768)):
        karim.set_viewport_size({"width": width, "height": height})
        expect(note).to_be_visible()
        screenshot(karim, f"advice-note-{width}")
    described = note.get_attribute("id") or ""
    expect(form.locator("textarea")).to_have_attribute("aria-describedby", described)
    post(karim, "question", "Pourquoi ne pas en parler au DRH ?", seen_by=[fac, sofia])
    expect(note).to_have_count(0)  # the composer is empty again, and so is its note

    asked = sofia.locator(".step.current form.compose-question")
    asked.locator("textarea").fill("Pourquoi as-tu choisi ce prestataire ?")
    # The rules read the text once the writer pauses; the form says when they have.
    expect(asked).to_have_attribute("data-advice", "none")
    expect(asked.locator(".advice")).to_have_count(0)
    post(sofia, "question", "Pourquoi as-tu choisi ce prestataire ?", seen_by=[fac, karim])

    # The facilitator sees how many were posted anyway in the step, never whose.
    count = FR["console.advice_posted_in"].format(phase=FR["phase.questions"], count=1)
    expect(fac.locator(".advice-posted li[data-phase=questions]")).to_have_text(count)
    fac.locator(".advice-posted").scroll_into_view_if_needed()
    screenshot(fac, "advice-count-facilitator")
    assert fac.evaluate("window.codevRoom.state.advice_posted") == {"questions": 1}
    api = fac.request.get(f"{server.url}/api/sessions/{session}").json()
    assert api["state"]["advice_posted"] == {"questions": 1}
    for member in (karim, sofia):
        expect(member.locator(".advice-posted")).to_have_count(0)
        assert member.evaluate("window.codevRoom.state.advice_posted") == {}


# Imports the page's own module and loads the rules as the room page gives them, then
# answers each text's rule ids.
READ_IN_THE_BROWSER = """async ({ url, rules, texts }) => {
    const mod = await import(url);
    mod.loadAdviceRules({ textContent: JSON.stringify(rules) });
    return texts.map((text) => mod.readsAsAdvice(text).map((rule) => rule.id));
}"""


def test_the_browser_flags_what_the_domain_flags(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """``static/room/advice.js`` in Chromium matches exactly the rules
    ``room/domain/session/advice.py`` matches, in the same order, for every sentence of
    both labelled sets and every rule example, typography the normalisation must even
    out included."""
    texts = [sentence for lang in ("fr", "en") for _, sentence in labelled(lang)]
    for matches, spares in EXAMPLES.values():
        texts += [*matches, *spares]
    texts += ["As\u2011tu  PENSÉ\u00a0à l\u2019appeler\u202f?", "", "  "]
    page = person(browser, contexts)
    page.goto(server.url)
    read = page.evaluate(
        READ_IN_THE_BROWSER,
        {"url": f"{server.url}/static/room/advice.js", "rules": rules_as_data(), "texts": texts},
    )
    assert read == [list(reads_as_advice(text)) for text in texts]
