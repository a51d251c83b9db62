"""The map page and the offline API documentation."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from camatlas import __version__

router = APIRouter(include_in_schema=False)

TEMPLATES = Jinja2Templates(directory=str(Path(str(resources.files("camatlas.web") / "templates"))))


@router.get("/")
async def index(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "index.html", {"version": __version__})


@router.get("/docs")
async def docs(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "docs.html", {"version": __version__})
