"""Fulfilment rules (terms of use) on the staff API: read, administer, explain; lost loans."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from ...services.fulfilment import lost as lost_service
from ...services.fulfilment import rules as service
from ...services.fulfilment.rules import RuleSpec, RuleView
from ..context import StaffInfo
from .circ_types import Loan, Money, TermsOfUse
from .ids import parse_id


@strawberry.type
class StatCategoryMatch:
    category: str
    value: str


def _money(value: Decimal | None, currency: str) -> Money | None:
    return None if value is None else Money(amount=str(value), currency=currency)


@strawberry.type(description="A fulfilment rule: criteria (empty lists match anything), terms.")
class FulfilmentRule:
    id: strawberry.ID
    name: str
    owner_library_code: str | None = strawberry.field(
        description="The library owning the rule (it applies to its items only); null: the "
        "institution's rule, tried after the item library's own rules."
    )
    position: int
    user_groups: list[str]
    network_patrons: bool | None = strawberry.field(
        description="true: only other members' patrons; false: only our own; null: anyone."
    )
    stat_categories: list[StatCategoryMatch]
    libraries: list[str]
    locations: list[str]
    item_policies: list[str]
    loanable: bool
    loan_period_days: int
    renewals_allowed: int
    renewal_period_days: int
    requestable: bool
    pickup_allowed: bool
    hold_shelf_days: int | None = strawberry.field(
        description="Null: the institution's hold_shelf_days."
    )
    fine_per_day: Money | None
    fine_grace_days: int
    fine_maximum: Money | None
    lost_after_days_overdue: int | None
    lost_replacement_fee: Money | None
    lost_processing_fee: Money | None
    lost_fee_refunded: bool

    @classmethod
    def from_domain(cls, v: RuleView) -> FulfilmentRule:
        return cls(
            id=strawberry.ID(str(v.id)),
            name=v.name,
            owner_library_code=v.owner_library_code,
            position=v.position,
            user_groups=v.user_groups,
            network_patrons=v.network_patrons,
            stat_categories=[StatCategoryMatch(category=c, value=x) for c, x in v.stat_categories],
            libraries=v.library_codes,
            locations=v.locations,
            item_policies=v.item_policies,
            loanable=v.loanable,
            loan_period_days=v.loan_period_days,
            renewals_allowed=v.renewals_allowed,
            renewal_period_days=v.renewal_period_days,
            requestable=v.requestable,
            pickup_allowed=v.pickup_allowed,
            hold_shelf_days=v.hold_shelf_days,
            fine_per_day=_money(v.fine_per_day, v.currency),
            fine_grace_days=v.fine_grace_days,
            fine_maximum=_money(v.fine_maximum, v.currency),
            lost_after_days_overdue=v.lost_after_days_overdue,
            lost_replacement_fee=_money(v.lost_replacement_fee, v.currency),
            lost_processing_fee=_money(v.lost_processing_fee, v.currency),
            lost_fee_refunded=v.lost_fee_refunded,
        )


@strawberry.input
class StatCategoryMatchInput:
    category: str
    value: str


@strawberry.input(description="A whole rule; amounts are decimal strings (blank or 0: none).")
class FulfilmentRuleInput:
    name: str
    owner_library_code: str | None = None
    position: int = 0
    user_groups: list[str] = strawberry.field(default_factory=list)
    network_patrons: bool | None = None
    stat_categories: list[StatCategoryMatchInput] = strawberry.field(default_factory=list)
    libraries: list[str] = strawberry.field(default_factory=list)
    locations: list[str] = strawberry.field(default_factory=list)
    item_policies: list[str] = strawberry.field(default_factory=list)
    loanable: bool = True
    loan_period_days: int = 28
    renewals_allowed: int = 2
    renewal_period_days: int | None = None
    requestable: bool = True
    pickup_allowed: bool = True
    hold_shelf_days: int | None = None
    fine_per_day: str | None = None
    fine_grace_days: int = 0
    fine_maximum: str | None = None
    lost_after_days_overdue: int | None = None
    lost_replacement_fee: str | None = None
    lost_processing_fee: str | None = None
    lost_fee_refunded: bool = True

    def to_spec(self) -> RuleSpec:
        return RuleSpec(
            name=self.name,
            owner_library_code=self.owner_library_code,
            position=self.position,
            user_groups=self.user_groups,
            network_patrons=self.network_patrons,
            stat_categories=[(s.category, s.value) for s in self.stat_categories],
            library_codes=self.libraries,
            locations=self.locations,
            item_policies=self.item_policies,
            loanable=self.loanable,
            loan_period_days=self.loan_period_days,
            renewals_allowed=self.renewals_allowed,
            renewal_period_days=self.renewal_period_days,
            requestable=self.requestable,
            pickup_allowed=self.pickup_allowed,
            hold_shelf_days=self.hold_shelf_days,
            fine_per_day=self.fine_per_day,
            fine_grace_days=self.fine_grace_days,
            fine_maximum=self.fine_maximum,
            lost_after_days_overdue=self.lost_after_days_overdue,
            lost_replacement_fee=self.lost_replacement_fee,
            lost_processing_fee=self.lost_processing_fee,
            lost_fee_refunded=self.lost_fee_refunded,
        )


@strawberry.type(description="The terms a loan would be made under, and the rule's owner.")
class TermsExplanation:
    terms: TermsOfUse
    rule_owner_library_code: str | None


@strawberry.type
class FulfilmentQuery:
    @strawberry.field(description="Every fulfilment rule, in matching order.")
    async def fulfilment_rules(self, info: StaffInfo) -> list[FulfilmentRule]:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            views = await service.list_rules(session, actor=actor)
        return [FulfilmentRule.from_domain(v) for v in views]

    @strawberry.field(description="The terms of use that apply to a patron for an item.")
    async def terms_of_use(self, info: StaffInfo, patron: str, barcode: str) -> TermsExplanation:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            view = await service.explain_terms(
                session, actor=actor, patron_primary_id=patron, barcode=barcode
            )
        return TermsExplanation(
            terms=TermsOfUse.from_domain(view.terms),
            rule_owner_library_code=view.owner_library_code,
        )


@strawberry.type
class FulfilmentMutation:
    @strawberry.mutation(description="Add a fulfilment rule (Fulfillment Administrators).")
    async def create_fulfilment_rule(
        self, info: StaffInfo, input: FulfilmentRuleInput
    ) -> FulfilmentRule:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.create_rule(session, actor=actor, spec=input.to_spec())
        return FulfilmentRule.from_domain(view)

    @strawberry.mutation(description="Replace a rule's criteria and terms.")
    async def update_fulfilment_rule(
        self, info: StaffInfo, id: strawberry.ID, input: FulfilmentRuleInput
    ) -> FulfilmentRule:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.update_rule(
                session, actor=actor, rule_id=parse_id(id, "fulfilment rule"), spec=input.to_spec()
            )
        return FulfilmentRule.from_domain(view)

    @strawberry.mutation(description="Delete a rule (loans keep the terms they were made under).")
    async def delete_fulfilment_rule(self, info: StaffInfo, id: strawberry.ID) -> bool:
        actor = info.context.staff()
        async with info.context.session() as session:
            await service.delete_rule(session, actor=actor, rule_id=parse_id(id, "fulfilment rule"))
        return True

    @strawberry.mutation(description="Declare a loan lost: its terms' lost fees are charged.")
    async def declare_lost(self, info: StaffInfo, loan_id: strawberry.ID) -> Loan:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await lost_service.declare_lost(
                session, actor=actor, loan_id=parse_id(loan_id, "loan")
            )
        return Loan.from_domain(view)
