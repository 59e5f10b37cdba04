"""`compare.fuzz.unordered`: the finds of a sequence given an order by primary key."""

from __future__ import annotations

from ormshift.compare.fuzz.schema import FuzzSchema
from ormshift.compare.fuzz.unordered import ordered_loads, primary_orders
from tests.golden.support import golden_manifest


def test_every_unordered_find_is_ordered_by_its_primary_key() -> None:
    orders = primary_orders(FuzzSchema.of(golden_manifest("hooks")))
    assert orders["Account"] == {"id": "ASC"} and orders["Entry"] == {"id": "ASC"}
    ops = [
        {"op": "find", "entity": "Account", "args": [{"where": {"entries": {"amount": 1}}}]},
        {"op": "findAndCount", "entity": "Entry", "args": [{"order": {"label": "DESC"}}]},
        {"op": "count", "entity": "Entry", "args": [{}]},
        {"op": "transaction", "args": [[{"op": "findOne", "entity": "Entry", "args": []}]]},
    ]
    again = ordered_loads(ops, orders)
    assert again is not None
    assert again[0]["args"][0] == {"where": {"entries": {"amount": 1}}, "order": {"id": "ASC"}}
    assert again[1] == ops[1]  # an order given is kept
    assert again[2] == ops[2]  # a count has no rows to order
    assert again[3]["args"][0][0]["args"] == [{"order": {"id": "ASC"}}]
    assert ops[0]["args"][0] == {"where": {"entries": {"amount": 1}}}  # the input is kept


def test_a_sequence_with_no_unordered_find_is_not_run_again() -> None:
    orders = primary_orders(FuzzSchema.of(golden_manifest("hooks")))
    ops = [{"op": "find", "entity": "Entry", "args": [{"order": {"id": "ASC"}}]}]
    assert ordered_loads(ops, orders) is None
    assert ordered_loads([{"op": "save", "entity": "Entry", "args": [{}]}], orders) is None


def test_a_select_chain_without_an_order_is_ordered_before_its_terminal() -> None:
    orders = primary_orders(FuzzSchema.of(golden_manifest("hooks")))
    joined = ["leftJoinAndSelect", "e.account", "a"]
    op = {"op": "qb", "entity": "Entry", "alias": "e", "chain": [joined, ["getMany"]]}
    again = ordered_loads([op], orders)
    assert again is not None
    assert again[0]["chain"] == [joined, ["addOrderBy", "e.id", "ASC"], ["getMany"]]
    # with find options, the order goes there (a call after them is refused)
    where = {"where": {"account": {"entries": {"amount": 59}}}}
    options = {**op, "chain": [["setFindOptions", where], ["getMany"]]}
    again = ordered_loads([options], orders)
    assert again is not None
    assert again[0]["chain"] == [["setFindOptions", {**where, "order": {"id": "ASC"}}], ["getMany"]]
    # ordered already (by a call or in the find options), a write, no alias: left alone
    ordered = {**op, "chain": [["orderBy", "e.label"], ["getMany"]]}
    in_options = {**op, "chain": [["setFindOptions", {"order": {"id": "DESC"}}], ["getOne"]]}
    write = {"op": "qb", "chain": [["delete"], ["from", {"$entity": "Entry"}], ["execute"]]}
    assert ordered_loads([ordered, in_options, write], orders) is None
