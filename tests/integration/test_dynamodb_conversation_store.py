import boto3
import pytest

from lambdas.adapters.dynamodb import DynamoDBConversationStore
from lambdas.core.models import Citation, Message, Usage
from local.aws import REGION


@pytest.fixture
def store(aws):
    return DynamoDBConversationStore(
        boto3.resource("dynamodb", region_name=REGION).Table(aws.conversations_table)
    )


def _turn(n: int, ts: str, *, complete: bool = True) -> tuple[Message, Message]:
    question = Message(f"q{n}", "c1", "user", f"question {n}", ts)
    answer = Message(
        f"a{n}",
        "c1",
        "assistant",
        f"answer {n}",
        ts,
        model="m",
        usage=Usage(10, 5, estimated=True),
        cost_usd=0.00012345,
        latency_ms=42,
        citations=(Citation(1, "doc", "Title", "Intro", "snippet", 0.75),),
        complete=complete,
    )
    return question, answer


def test_a_turn_round_trips_with_usage_cost_and_citations(store):
    question, answer = _turn(1, "2026-01-01T00:00:00.000Z")
    store.append_turn("alice", "c1", question, answer, title_if_new="First")
    assert store.list_messages("alice", "c1") == [question, answer]
    conversation = store.get_conversation("alice", "c1")
    assert (conversation.title, conversation.message_count) == ("First", 2)


def test_later_turns_keep_the_first_title_and_count_messages(store):
    store.append_turn("alice", "c1", *_turn(1, "2026-01-01T00:00:00.000Z"), title_if_new="First")
    store.append_turn("alice", "c1", *_turn(2, "2026-01-01T00:00:01.000Z"), title_if_new="Second")
    conversation = store.get_conversation("alice", "c1")
    assert (conversation.title, conversation.message_count) == ("First", 4)


def test_recent_messages_returns_the_newest_in_order(store):
    for n in range(5):
        store.append_turn("alice", "c1", *_turn(n, f"2026-01-01T00:00:0{n}.000Z"), title_if_new="t")
    recent = store.recent_messages("alice", "c1", 4)
    assert [m.content for m in recent] == ["question 3", "answer 3", "question 4", "answer 4"]


def test_a_turn_is_written_whole_or_not_at_all(store):
    question, answer = _turn(1, "2026-01-01T00:00:00.000Z")
    store.append_turn("alice", "c1", question, answer, title_if_new="t")
    with pytest.raises(Exception, match="TransactionCanceled"):
        # Same keys again: the transaction is cancelled and the count does not move.
        store.append_turn("alice", "c1", question, answer, title_if_new="t")
    assert store.get_conversation("alice", "c1").message_count == 2
    assert len(store.list_messages("alice", "c1")) == 2


def test_users_never_see_each_others_conversations(store):
    store.append_turn("alice", "c1", *_turn(1, "2026-01-01T00:00:00.000Z"), title_if_new="t")
    assert store.get_conversation("bob", "c1") is None
    assert store.list_conversations("bob") == []
    assert store.list_messages("bob", "c1") == []
    assert store.rename_conversation("bob", "c1", "x") is None
    assert store.delete_conversation("bob", "c1") is False
    assert store.get_conversation("alice", "c1").title == "t"


def test_rename_and_delete(store):
    store.append_turn("alice", "c1", *_turn(1, "2026-01-01T00:00:00.000Z"), title_if_new="t")
    assert store.rename_conversation("alice", "c1", "New").title == "New"
    assert store.delete_conversation("alice", "c1") is True
    assert store.get_conversation("alice", "c1") is None
    assert store.list_messages("alice", "c1") == []


def test_incomplete_answers_keep_their_flag(store):
    question, answer = _turn(1, "2026-01-01T00:00:00.000Z", complete=False)
    store.append_turn("alice", "c1", question, answer, title_if_new="t")
    assert store.list_messages("alice", "c1")[-1].complete is False


def test_each_turn_adds_to_the_owners_daily_usage_for_the_model_in_the_same_transaction(aws):
    resource = boto3.resource("dynamodb", region_name=REGION)
    store = DynamoDBConversationStore(
        resource.Table(aws.conversations_table), usage_table_name=aws.usage_table
    )
    store.append_turn("alice", "c1", *_turn(1, "2026-01-01T10:00:00.000Z"), title_if_new="t")
    store.append_turn("alice", "c1", *_turn(2, "2026-01-01T11:00:00.000Z"), title_if_new="t")
    item = resource.Table(aws.usage_table).get_item(Key={"pk": "USER#alice", "sk": "DAY#2026-01-01#MODEL#m"})[
        "Item"
    ]
    assert (item["input_tokens"], item["output_tokens"], item["requests"]) == (20, 10, 2)
    assert float(item["cost_usd"]) == pytest.approx(2 * 0.00012345)
    assert item["kind"] == "chat"
    assert item["expires_at"] > 1_767_225_600


def test_a_failed_turn_adds_no_usage(aws):
    resource = boto3.resource("dynamodb", region_name=REGION)
    store = DynamoDBConversationStore(
        resource.Table(aws.conversations_table), usage_table_name=aws.usage_table
    )
    question, answer = _turn(1, "2026-01-01T10:00:00.000Z")
    store.append_turn("alice", "c1", question, answer, title_if_new="t")
    with pytest.raises(Exception, match="TransactionCanceled"):
        store.append_turn("alice", "c1", question, answer, title_if_new="t")
    item = resource.Table(aws.usage_table).get_item(Key={"pk": "USER#alice", "sk": "DAY#2026-01-01#MODEL#m"})[
        "Item"
    ]
    assert item["requests"] == 1
