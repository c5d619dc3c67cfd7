from fastapi import APIRouter

public_router = APIRouter()
router = APIRouter()
