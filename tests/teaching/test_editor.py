"""Authoring: the scenario editor's teaching section saves, validates and round-trips."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lab import specs
from lab.scenarios.models import Scenario

pytestmark = pytest.mark.django_db

CHOICES = [
    {"text": "It resumes", "expect": {"flows": {"download": {"resumed": True}}}},
    {"text": "It dies", "expect": {"flows": {"download": {"state": "aborted"}}}},
]


def fork(client: Client, slug: str = "default-drop") -> Scenario:
    response = client.post(f"/s/{slug}/fork/")
    return Scenario.objects.get(slug=response["Location"].split("/")[2])


def post(client: Client, scenario: Scenario, **fields: str) -> int:
    data = {
        "action": "teaching",
        "question": "",
        "choices": "",
        "goal_text": "",
        "goal_expect": "",
        "constraints": "",
        "hints": "",
        **fields,
    }
    return client.post(f"/s/{scenario.slug}/edit/", data).status_code


def test_it_saves_a_question_a_challenge_and_hints(builtins: None) -> None:
    client = Client()
    scenario = fork(client)
    assert "The story and the teaching" in client.get(f"/s/{scenario.slug}/edit/").content.decode()
    status = post(
        client,
        scenario,
        question="Will the download resume?",
        choices=json.dumps(CHOICES),
        goal_text="Make it survive",
        goal_expect=json.dumps({"flows": {"download": {"state": "running"}}}),
        constraints=json.dumps({"max_commands": 2, "forbid": ["timeout"]}),
        hints="first\n\nsecond\n",
    )
    assert status == 302
    scenario.refresh_from_db()
    assert scenario.teaching == {
        "question": "Will the download resume?",
        "choices": CHOICES,
        "goal": {
            "text": "Make it survive",
            "expect": {"flows": {"download": {"state": "running"}}},
        },
        "constraints": {"max_commands": 2, "forbid": ["timeout"]},
        "hints": ["first", "second"],
    }
    # the export carries it, and a fork of the fork keeps it
    exported = client.get(f"/s/{scenario.slug}/export.json").json()
    assert exported["teaching"]["hints"] == ["first", "second"]
    assert scenario.fork().teaching == scenario.teaching


def test_it_refuses_a_bad_teaching_block_next_to_its_field(builtins: None) -> None:
    client = Client()
    scenario = fork(client)
    bad = [{"text": "x", "expect": {"flows": {"nope": {"state": "running"}}}}, CHOICES[0]]
    response = client.post(
        f"/s/{scenario.slug}/edit/",
        {
            "action": "teaching",
            "question": "Q?",
            "choices": json.dumps(bad),
            "goal_text": "",
            "goal_expect": "",
            "constraints": "",
            "hints": "",
        },
    )
    assert response.status_code == 422
    assert "teaching.choices[0].expect.flows.nope: no such flow" in response.content.decode()
    response = client.post(
        f"/s/{scenario.slug}/edit/",
        {
            "action": "teaching",
            "question": "",
            "choices": "",
            "goal_text": "g",
            "goal_expect": "{",
            "constraints": "",
            "hints": "",
        },
    )
    assert "not valid JSON" in response.content.decode()
    assert (
        post(
            client,
            scenario,
            constraints='{"max_cmds": 1}',
            goal_text="g",
            goal_expect='{"flows": {"download": {"state": "running"}}}',
        )
        == 422
    )
    scenario.refresh_from_db()
    assert scenario.teaching == {}


def test_builtin_challenges_round_trip_through_the_models(builtins: None) -> None:
    from lab.teaching.builtins import CHALLENGE_SLUGS, challenge_dict

    for slug in CHALLENGE_SLUGS:
        scenario = Scenario.objects.get(slug=slug)
        assert scenario.is_builtin
        assert specs.scenario_to_dict(scenario) == challenge_dict(slug)


def test_a_fork_gets_its_own_name_and_can_change_its_story(builtins: None) -> None:
    client = Client()
    one, two = fork(client), fork(client)
    assert one.title != two.title  # two forks never look the same in a list
    assert one.title.startswith("The tunnel drops under a long download")
    expect = {"flows": {"download": {"state": "running", "resumed": True}}}
    status = post(
        client,
        one,
        title="A 15-s outage: does the download notice?",
        instructions="The path is cut for 15 s.",
        explanation="DPD never gave up: nothing was deleted.",
        expect=json.dumps(expect),
    )
    assert status == 302
    one.refresh_from_db()
    assert one.title == "A 15-s outage: does the download notice?"
    assert one.instructions == "The path is cut for 15 s."
    assert one.explanation == "DPD never gave up: nothing was deleted."
    assert one.expect == expect
    assert (
        "A 15-s outage: does the download notice?" in client.get(f"/s/{one.slug}/").content.decode()
    )
