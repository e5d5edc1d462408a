"""The console's pages, one module per part of the desk."""

from fastapi import APIRouter

from services.console.entrypoints.pages import (
    activities,
    admin,
    audit,
    auth,
    case,
    case_actions,
    dashboard,
    inbox,
    notifications,
    overdue,
    queue,
    refer,
    reporter,
    search,
    second_factor,
    styleguide,
    timeline,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    second_factor.router,
    queue.router,
    search.router,
    case.router,
    case_actions.router,
    refer.router,
    timeline.router,
    notifications.router,
    reporter.router,
    inbox.router,
    admin.router,
    styleguide.router,
    overdue.router,
    audit.router,
    dashboard.router,
    activities.router,
]
