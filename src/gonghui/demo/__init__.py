"""The built-in demo data set: the Ningbo union tree and its members, at any scale.

``gonghui demo --scale small|ningbo|FRACTION`` (see ``services.demo_load``) builds it
deterministically: the same scale gives the same unions, names and ID numbers every time.

- ``calibration``: the seed documents' figures and how a scale turns them into exact targets;
- ``places``: districts, townships and the regions of ID numbers;
- ``pools``: names of people, companies and new-form unions (Faker ``zh_CN``, drawn once);
- ``identity``: synthetic ID numbers, unique city-wide by construction;
- ``tree``: the union tree with its materialised paths; ``people``: the member rows;
- ``bulk``: set-based writes (``executemany`` on SQLite, ``COPY`` on PostgreSQL).
"""
