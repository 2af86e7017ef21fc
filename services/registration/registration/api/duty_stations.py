"""The duty stations participants name (the maintained list), each with its country and time zone."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends

from registration.api.models import DutyStationOut
from together_contracts.duty_stations import DUTY_STATIONS
from together_servicekit.auth import Principal, authenticated

router = APIRouter(tags=["participants"])


@router.get("/duty-stations")
async def duty_stations(_: Principal = Depends(authenticated)) -> list[DutyStationOut]:
    """Rule: anyone signed in. The listed stations: naming one in the questionnaire gives its time zone."""
    return [DutyStationOut.model_validate(asdict(station)) for station in DUTY_STATIONS]
