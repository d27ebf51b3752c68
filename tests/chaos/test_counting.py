"""The chaos suite's counting can fail: a workload nobody delivered counts as lost, an effect written
twice counts as duplicated, and a message sent twice as a duplicated message."""

from __future__ import annotations

import random

import pytest
from aisha.models import Language, LedgerKind
from aisha.resources import Resources
from aisha.services import ledger, users
from aisha.texts import text

from bench.chaos_count import count, failed_events
from bench.chaos_stack import WELCOME_BONUS, ChaosStack
from bench.chaos_workload import prepare
from tests import web

pytestmark = pytest.mark.e2e


def test_undelivered_work_is_lost_and_double_effects_are_duplicated(chaos_stack: ChaosStack) -> None:
    workload = prepare(chaos_stack, 2, random.Random())
    first = workload.start_users[0]
    resources = Resources(chaos_stack.settings())  # type: ignore[arg-type]
    try:
        with resources.db.transaction() as conn:  # the first user's /start "done" with its bonus twice
            users.register(conn, first, first_name="Start0", language=Language.EN)
            ledger.credit(conn, first, WELCOME_BONUS, LedgerKind.BONUS, reason="welcome bonus")
            ledger.credit(conn, first, WELCOME_BONUS, LedgerKind.BONUS, reason="welcome bonus")
    finally:
        resources.close()
    bot = chaos_stack.telegram
    assert bot is not None
    greeting = text("en", "welcome", name="Start0", bonus=WELCOME_BONUS)
    for _ in range(2):  # the welcome sent twice, through the Bot API as the bot sends it
        web.post(f"{bot.base_url}{bot.token}/sendMessage", json={"chat_id": first, "text": greeting},
                 timeout=10).raise_for_status()
    effects = count(chaos_stack, workload, failed_events(chaos_stack.env))
    assert (effects.domain["users"].lost, effects.domain["users"].duplicated) == (1, 0)
    assert (effects.domain["bonus credits"].lost, effects.domain["bonus credits"].duplicated) == (1, 1)
    # the generations were submitted but their webhooks never delivered: nothing completed, stored or sent
    assert effects.domain["generations completed"].lost == 2 and effects.domain["stored images"].lost == 2
    assert effects.domain["charges"].lost == 0 and effects.domain["refunds"].expected == 0
    assert (effects.messages["welcome"].lost, effects.messages["welcome"].duplicated) == (1, 1)
    assert effects.messages["menu"].lost == 2 and effects.messages["image"].lost == 2
    assert effects.total("domain").lost == 1 + 1 + 2 + 2 + 2  # users, bonus, generations, image rows, objects
