"""The workflow: validate, task, plan; the Charter chain; the explicit charge."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from activation_factory import EVENT_TIME, body, consortium, planned

from spacepool.activation.execution import make_product, simulate
from spacepool.activation.workflow import (
    ActivationPlan,
    Chain,
    accounting,
    raise_activation,
    record_execution,
)
from spacepool.errors import ActivationError


def test_the_plan_serves_the_activation_across_partners_and_stations() -> None:
    result = planned(12.0)
    plan = result.plan
    assert plan.status == "optimal"
    assert plan.acquisitions, "a 12 h flood activation over Romagna gets acquisitions"
    assert {a.urgency for a in plan.acquisitions} == {"activation"}
    assert {a.request for a in plan.acquisitions} <= {t.request.id for t in result.tasking}
    downlinks = {d.id: d for d in plan.downlinks}
    for a in plan.acquisitions:
        assert result.activation.start <= a.start < a.end <= result.activation.end
        downlink = downlinks[a.downlink]
        assert downlink.satellite == a.satellite and downlink.start >= a.end


def test_the_chain_is_in_order_and_names_the_first_acquisition_and_delivery() -> None:
    result = planned(12.0)
    chain = result.chain
    assert chain.received == EVENT_TIME  # the timeline clock starts at the event
    assert chain.validated is not None and chain.planned is not None
    assert chain.received <= chain.validated <= chain.planned
    assert chain.planned - chain.received == pytest.approx(
        timedelta(seconds=result.compute_seconds), abs=timedelta(seconds=0.5)
    )
    assert chain.first_acquisition_planned == min(a.start for a in result.plan.acquisitions)
    assert chain.first_delivery_planned == min(d.end for d in result.plan.downlinks)
    assert chain.first_acquisition_actual is None and chain.first_product_published is None


def test_executed_products_fill_the_actual_chain() -> None:
    result = planned(12.0)
    products = [make_product(r, result.activation, consortium()) for r in simulate(result)]
    chain = record_execution(result, products).chain
    assert chain.first_acquisition_actual == chain.first_acquisition_planned
    assert chain.first_delivery_actual == chain.first_delivery_planned
    assert chain.first_product_published == min(p.published for p in products)
    assert Chain.from_dict(chain.to_dict()) == chain


def test_every_partner_is_charged_its_entitlement_of_the_delivered_value() -> None:
    result = planned(12.0)
    rows = accounting(result, consortium())
    entitlements = consortium().agreement("eo-pool").entitlements()
    total = math.fsum(a.value for a in result.plan.acquisitions)
    assert [r["partner"] for r in rows] == sorted(entitlements)
    for row in rows:
        assert row["entitlement"] == pytest.approx(entitlements[row["partner"]])
        assert row["activation_charge"] == pytest.approx(row["entitlement"] * total, abs=1e-6)
        assert row["balance"] == pytest.approx(
            row["value_delivered"] - row["activation_charge"], abs=1e-6
        )
    assert math.fsum(r["activation_charge"] for r in rows) == pytest.approx(total, abs=1e-5)
    assert math.fsum(r["value_delivered"] for r in rows) == pytest.approx(total, abs=1e-5)
    assert sum(r["acquisitions"] for r in rows) == len(result.plan.acquisitions)
    # The requester's own value is not counted as its share: it pays like everyone.
    requester = result.plan.account("asi")
    assert requester.received_value == 0.0 and requester.activation_value == pytest.approx(total)


def test_the_record_round_trips_through_its_dict() -> None:
    result = planned(12.0)
    again = ActivationPlan.from_dict(result.to_dict())
    assert again.to_dict() == result.to_dict()


def test_a_bad_activation_raises_before_any_planning() -> None:
    calls: list[object] = []

    def archive(activation: object) -> list[object]:
        calls.append(activation)
        return []

    with pytest.raises(ActivationError, match=r"^type: unknown disaster type 'meteor'"):
        raise_activation(
            body(type="meteor"), consortium(), clock=lambda: EVENT_TIME, archive=archive
        )
    assert calls == []
