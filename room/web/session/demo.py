"""A demonstration session, played up to step 3, so that a newcomer sees the room alive
before inviting anyone. The people, the clinic and the situation are invented."""

from __future__ import annotations

from dataclasses import dataclass

from room.domain.session import Kind, Role, Welcome
from room.domain.session import commands as c
from room.ids import PERSON, new_id
from room.live.room import Room
from room.web.services import Services

TITLE = "GEP QVCT — séance 3 (démonstration)"

CAST = [
    ("nadia", "Nadia Benali", Role.FACILITATOR),
    ("ines", "Inès Garnier", Role.NARRATOR),
    ("paul", "Paul Lemaire", Role.MEMBER),
    ("yasmine", "Yasmine Cherif", Role.MEMBER),
    ("bruno", "Bruno Vasseur", Role.MEMBER),
    ("lucie", "Lucie Perrin", Role.OBSERVER),
]

QUESTIONS = [
    ("paul", "Qui a demandé le diagnostic : la direction des soins ou la direction générale ?"),
    ("yasmine", "Les équipes de nuit ont-elles été rencontrées, et par qui ?"),
    ("bruno", "Que dit ta convention d'intervention sur la restitution des résultats ?"),
    ("paul", "Depuis quand le comité de pilotage ne s'est-il pas réuni ?"),
]
ANSWERS = [
    "La directrice des soins, avec l'accord du directeur, qui reste distant du projet.",
    "Une seule fois, par moi, en présence de la cadre de nuit : la parole était retenue.",
    "Une restitution « aux instances », sans préciser lesquelles ni dans quel ordre.",
    "Depuis le départ du DRH, il y a deux mois. Personne n'a repris l'animation.",
]


@dataclass(frozen=True)
class Demo:
    session_id: str
    links: list[tuple[str, Role, str]]  # (name, role, secret), in the cast's order


async def create_demo(services: Services) -> Demo:
    """A new demonstration session, played up to step 3, with a link for each role."""
    session_id, facilitator, secret = await services.create_session(
        title=TITLE, name="Nadia Benali", template="flyer"
    )
    room = await services.hub.room(session_id)
    assert room is not None
    ids = {"nadia": facilitator}
    links = [("Nadia Benali", Role.FACILITATOR, secret)]
    for key, name, role in CAST[1:]:
        ids[key] = new_id(PERSON)
        await room.execute(
            facilitator, c.AddParticipant(participant=ids[key], name=name, role=role)
        )
        links.append((name, role, await services.new_link(session_id, ids[key])))
    await _play(room, ids)
    return Demo(session_id, links)


async def _play(room: Room, ids: dict[str, str]) -> None:
    async def do(who: str, command: c.Command) -> None:
        await room.execute(ids[who], command)

    async def post(who: str, kind: Kind, text: str = "", **more: object) -> str:
        body = more.pop("body", None) or {"text": text}
        await do(who, c.Post(kind=kind, body=body, **more))  # type: ignore[arg-type]
        return f"c{room.state.next_number - 1}"

    await post(
        "bruno",
        Kind.FOLLOW_UP,
        "J'ai présenté le diagnostic court au comité de direction : accepté, avec deux "
        "services pilotes. Les premières observations commencent la semaine prochaine.",
    )
    await do("nadia", c.GoToPhase(phase="expose"))
    await do(
        "ines",
        c.WriteSituation(
            title="Un diagnostic QVCT qui s'enlise dans une clinique",
            context="Clinique de 240 salariés. Diagnostic QVCT lancé il y a cinq mois après "
            "une hausse des arrêts chez les infirmières de nuit.",
            problem="Les entretiens sont faits, mais le comité de pilotage ne se réunit plus "
            "et la direction demande déjà « des actions rapides ».",
            question="Comment relancer une démarche partagée sans livrer un plan d'actions "
            "que personne n'a construit ?",
            request="J'attends du groupe des idées concrètes pour remettre le comité de "
            "pilotage en route et y associer les équipes de nuit.",
        ),
    )
    await do("nadia", c.GoToPhase(phase="questions"))
    questions = [await post(who, Kind.QUESTION, text) for who, text in QUESTIONS]
    await post(
        "yasmine",
        Kind.HYPOTHESIS,
        "La direction attend peut-être des actions visibles avant la certification.",
    )
    await do("nadia", c.GoToPhase(phase="understanding"))
    for question, answer in zip(questions, ANSWERS, strict=True):
        await post("ines", Kind.ANSWER, answer, answers=question)
    await post(
        "ines",
        Kind.STATEMENT,
        body={
            "values": "Partir du travail réel, de jour comme de nuit.",
            "intentions": "Rester utile à la direction sans devenir l'alibi d'un plan.",
            "expectations": "Des manières concrètes de relancer le collectif.",
            "stakes": "La confiance des équipes de nuit, et la suite de la mission.",
        },
    )
    await post(
        "paul", Kind.REMARK, "J'entends que la commande a glissé : du diagnostic vers le plan."
    )
    await do("nadia", c.GoToPhase(phase="possibilities"))
    kept = await post(
        "paul",
        Kind.PROPOSAL,
        "Proposer à la directrice des soins de co-animer un comité de pilotage resserré, "
        "avec une représentante de nuit.",
    )
    explore = await post(
        "yasmine",
        Kind.PROPOSAL,
        "Organiser une restitution intermédiaire de nuit, à 5 h, avant la relève.",
    )
    await post(
        "bruno",
        Kind.PROPOSAL,
        "Écrire une note d'une page qui distingue ce qui est déjà su de ce qui reste à comprendre.",
    )
    await post(
        "bruno",
        Kind.SIMILAR_SITUATION,
        "Dans un EHPAD, la restitution de nuit a débloqué un comité qui tournait à vide.",
    )
    await do("ines", c.WelcomeProposal(proposal=kept, mark=Welcome.KEPT))
    await do("ines", c.WelcomeProposal(proposal=explore, mark=Welcome.EXPLORE))
