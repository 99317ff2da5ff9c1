from sqlalchemy import select

from store.db import Database
from store.models import Customer, CustomerPhone


async def test_customer_with_phone_round_trips(database: Database) -> None:
    async with database.session() as s:
        c = Customer(name="Amina Otieno", name_lower="amina otieno", timezone="Africa/Nairobi")
        c.phones.append(CustomerPhone(e164="+254712345678"))
        s.add(c)
    async with database.session() as s:
        row = (await s.execute(select(CustomerPhone.e164, Customer.name).join(Customer))).one()
    assert tuple(row) == ("+254712345678", "Amina Otieno")
