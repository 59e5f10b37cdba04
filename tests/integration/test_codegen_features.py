"""``create_all`` of the hand-made feature manifest gives exactly the declared schema:
the serial outside the primary key owns its sequence, the exclusion constraint exists,
the generated column, collation and enum labels are as declared."""

from __future__ import annotations

from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ormshift.codegen import render_package
from ormshift.dsn import sqlalchemy_url
from ormshift.extract.database import reflect
from ormshift.schema import diff, reflect_sequences, server_canonical

from ..golden.features import HOSTILE, MANIFEST
from ..golden.support import imported


def test_features_create_exactly_the_declared_schema(fresh_db: str, tmp_path: Path) -> None:
    with imported(render_package(MANIFEST), tmp_path) as pkg:
        engine = create_engine(sqlalchemy_url(fresh_db))
        try:
            pkg.Base.metadata.create_all(engine)
            with Session(engine) as session:  # a many-to-many from an entity to itself
                a, b = pkg.Gadget(code="a"), pkg.Gadget(code="b")
                a.links.append(b)
                session.add(a)
                session.commit()
                assert b.linked_from == [a]
                pair = session.execute(text('select "fromId", "toId" from gadget_links')).one()
                assert tuple(pair) == (a.id, b.id)
                assert (a.serial_no, b.serial_no) == (1, 2)
        finally:
            engine.dispose()
    declared = MANIFEST  # the view included: the models create it with its SQL
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        reflected = reflect(conn)
        differences = diff(server_canonical(conn, declared), reflected)
        sequences = {s.name: s for s in reflect_sequences(conn)}
    assert differences == [], "\n".join(str(d) for d in differences)
    assert [x.name for x in reflected.table("gadget").exclusions] == ["XCL_gadget_spot"]
    assert reflected.table("gadget_view").kind == "view"
    serial = sequences["gadget_serialNo_seq"]
    assert serial.owned_by == "gadget.serialNo" and serial.data_type == "bigint"
    assert sequences["gadget_id_seq"].owned_by == "gadget.id"


def test_hostile_names_are_created_exactly(fresh_db: str, tmp_path: Path) -> None:
    with imported(render_package(HOSTILE), tmp_path) as pkg:
        engine = create_engine(sqlalchemy_url(fresh_db))
        try:
            pkg.Base.metadata.create_all(engine)
        finally:
            engine.dispose()
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        differences = diff(server_canonical(conn, HOSTILE), reflect(conn))
    assert differences == [], "\n".join(str(d) for d in differences)
