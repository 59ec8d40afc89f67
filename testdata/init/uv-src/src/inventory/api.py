"""The HTTP API: uvicorn inventory.api:app."""

from fastapi import FastAPI, HTTPException

from inventory.stock import OutOfStock, Stock

app = FastAPI(title="inventory")
stock = Stock()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/stock/{sku}")
def level(sku: str) -> dict:
    return {"sku": sku, "level": stock.level(sku)}


@app.post("/stock/{sku}/ship/{qty}")
def ship(sku: str, qty: int) -> dict:
    try:
        return {"sku": sku, "level": stock.ship(sku, qty)}
    except OutOfStock:
        raise HTTPException(status_code=409, detail=f"not enough {sku}")
