"""Stock bookkeeping, independent of HTTP."""


class OutOfStock(Exception):
    pass


class Stock:
    def __init__(self) -> None:
        self._levels: dict[str, int] = {}

    def level(self, sku: str) -> int:
        return self._levels.get(sku, 0)

    def receive(self, sku: str, qty: int) -> int:
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._levels[sku] = self.level(sku) + qty
        return self._levels[sku]

    def ship(self, sku: str, qty: int) -> int:
        if qty > self.level(sku):
            raise OutOfStock(sku)
        self._levels[sku] = self.level(sku) - qty
        return self._levels[sku]
