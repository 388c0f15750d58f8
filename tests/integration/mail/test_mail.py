"""E-mail over the real server: a ``room serve`` process with SMTP_URL pointing at a
real SMTP server (aiosmtpd) on a free port, or without it, copying by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.groups import GroupCast
from tests.running import ServerProcess
from tests.smtpserver import SmtpServer as LocalSmtp


@pytest.fixture
def mailing_server(tmp_path: Path, smtp_server: LocalSmtp) -> Iterator[ServerProcess]:
    env = {"SMTP_URL": smtp_server.url, "MAIL_FROM": "codev@example.org"}
    process = ServerProcess(tmp_path, env=env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def founded(server: ServerProcess, http: httpx.AsyncClient) -> GroupCast:
    created = await http.post(
        "/api/groups", json={"name": "Codev Lyon", "facilitator_name": "Nadia"}
    )
    body = created.json()
    return GroupCast(server, body["group"], {"nadia": body["link"]}, {"nadia": body["person"]})


async def test_an_invitation_arrives_with_a_link_that_opens_the_group(
    mailing_server: ServerProcess, smtp_server: LocalSmtp
) -> None:
    """Invited with an address, Ana gets her link by e-mail, in English as asked; it
    opens the group; the server's log never holds it."""
    async with httpx.AsyncClient(base_url=mailing_server.url) as http:
        cast = await founded(mailing_server, http)
        done = await cast.do(
            http, "nadia", type="invite_person", name="Ana", email="ana@example.org", lang="en"
        )
        assert done["mailed_to"] == "ana@example.org"
        (got,) = smtp_server.mailbox.wait(1)
        message = got.message
        assert message["Subject"] == "Invitation to the co-development group “Codev Lyon”"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        links = re.findall(r"http://127\.0\.0\.1:\d+/j/[\w-]+", str(body.get_content()))
        assert links == [done["link"]]
        opened = await http.get(links[0], follow_redirects=False)
        assert opened.status_code in (302, 303)
    secret = done["link"].rsplit("/", 1)[1]
    assert secret not in mailing_server.log_path.read_text()


async def test_a_refused_address_is_shown_beside_the_person(
    mailing_server: ServerProcess, smtp_server: LocalSmtp
) -> None:
    """The SMTP server refuses the recipient for good: the group's page says so, with
    the server's words, on Bob's line."""
    smtp_server.mailbox.refused.add("bob@example.org")
    async with httpx.AsyncClient(base_url=mailing_server.url) as http:
        cast = await founded(mailing_server, http)
        await cast.do(http, "nadia", type="invite_person", name="Bob", email="bob@example.org")
        await cast.do(http, "nadia", type="invite_person", name="Cid", email="cid@example.org")
        smtp_server.mailbox.wait(1)  # Cid's; Bob's was refused before it, in order
        page = await http.get(f"/g/{cast.group}", headers=cast.auth("nadia"))
    assert page.status_code == 200
    assert (
        "Message refusé (invitation) : 550 5.1.1 &lt;bob@example.org&gt;: no such mailbox"
        in page.text
    )


async def test_without_smtp_the_facilitator_copies_each_message(server: ServerProcess) -> None:
    """Nothing is sent: the invitation page shows the message with its link; the
    admission waits on the group's page until a facilitator says it went."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        cast = await founded(server, http)
        nadia = cast.auth("nadia")
        shown = await http.post(
            f"/g/{cast.group}/do",
            data={"type": "invite_person", "name": "Ana", "email": "ana@example.org"},
            headers={**nadia, "origin": server.url},
        )
        assert shown.status_code == 200
        assert "Le message d&#39;invitation, à copier dans votre messagerie" in shown.text
        link = re.search(r'id="link" class="link" readonly value="([^"]+)"', shown.text)
        assert link is not None and shown.text.count(link.group(1)) == 2  # the link, the text
        cast.links["ana"] = link.group(1)
        ana = (await cast.view(http, "nadia"))["state"]["people"]
        cast.ids["ana"] = next(p for p, v in ana.items() if v["name"] == "Ana")
        await cast.admit(http, "ana")
        page = await http.get(f"/g/{cast.group}", headers=nadia)
        assert "Vous êtes admis·e dans le groupe « Codev Lyon »" in page.text
        mail = re.search(r'name="mail" value="([^"]+)"', page.text)
        assert mail is not None
        copied = await http.post(
            f"/g/{cast.group}/mail",
            data={"mail": mail.group(1)},
            headers={**nadia, "origin": server.url},
            follow_redirects=False,
        )
        assert copied.status_code == 303
        page = await http.get(f"/g/{cast.group}", headers=nadia)
        assert "Aucun message à envoyer." in page.text
        again = await http.post(
            f"/g/{cast.group}/mail",
            data={"mail": mail.group(1)},
            headers={**nadia, "origin": server.url},
        )
        assert again.status_code == 400
