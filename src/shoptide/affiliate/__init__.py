"""The affiliate program: merchants pay creators commission on the sales they lead to.

Creators themselves, their touches and attribution are the lower `shoptide.creators`
domain. The program's sub-domains, each with a `service.py` as its public face (and
`flows.py` for what owns its units of work):

- `plans`: open plans, invitations (targeted plans) and which rate a creator earns;
- `samples`: free samples asked for under an invitation;
- `marketplace`: the products that pay a creator commission (and the showcase table);
- `showcase`: a creator's showcase (public at /@handle), Creator Center's home and videos;
- `commissions`: accrual, reversal and the return window, as orders are paid, refunded,
  cancelled and delivered (handlers.py), with their ledger postings;
- `payouts`: settlement and payouts (the background sweep and the CLI run them);
- `earnings`: a creator's earnings and a shop's creators' performance, over every cell.

`rates.py` holds the arithmetic they share (basis points, the rounding rule) and
`desks.py` what their form pages work with (Seller Center's and Creator Center's). The
sub-packages import each other without cycles, lower first: plans; samples, marketplace and
commissions on plans; showcase on marketplace; payouts on commissions; earnings on both.
Route modules: `api.py`, `pages.py` (public, on `public_router`), `seller_pages.py`
(merchants), `creator_pages.py` (Creator Center).
"""
