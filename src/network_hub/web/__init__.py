"""The hub's pages (issue 14): the staff console, the Get It widget, the patron's network
account, ``/``; their static files; the console's gateway to the public API."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from . import gateway, pages


def routes(
    *, graphql: ASGIApp, export_csv: gateway.Handler, export_xlsx: gateway.Handler
) -> list[BaseRoute]:
    """Every page route; ``graphql`` and the exports are the hub's own public endpoints."""
    return [
        Route("/", pages.home),
        Route("/staff", pages.staff_root),
        Route("/staff/", pages.staff_root),
        Route("/staff/sign-in", pages.sign_in_form, methods=["GET"]),
        Route("/staff/sign-in", pages.sign_in, methods=["POST"]),
        Route("/staff/sign-out", pages.sign_out, methods=["POST"]),
        Route("/staff/activity", pages.activity),
        Route("/staff/desk", pages.desk),
        Route("/staff/walk-in", pages.walk_in),
        Route("/staff/resource-sharing", pages.resource_sharing),
        Route("/staff/resource-sharing/partners", pages.rs_partners),
        Route("/staff/api/graphql", gateway.HubGateway(graphql), methods=["GET", "POST"]),
        Route("/staff/api/member/graphql", gateway.member_gateway, methods=["POST"]),
        Route(
            "/staff/api/export/network-activity.csv",
            gateway.export_gateway(export_csv, "/export/network-activity.csv"),
        ),
        Route(
            "/staff/api/export/network-activity.xlsx",
            gateway.export_gateway(export_xlsx, "/export/network-activity.xlsx"),
        ),
        Route("/widget/", pages.widget_docs),
        Route("/widget/getit", pages.getit_widget),
        Route("/widget/account", pages.account_widget),
        Mount(
            pages.STATIC_PREFIX, app=StaticFiles(directory=pages.HERE / "static"), name="web-static"
        ),
    ]
