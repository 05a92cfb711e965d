"""The platform's user interface kit: what every module's pages share, and the registries the shells read.

Service modules import it (it sits between ``orgs`` and ``members`` in the layers contract and imports
only core and orgs): the access helpers of the staff workbench (``access``), the chart helpers
(``charts``), and the registries through which a module plugs its pages in without anyone naming it —
menu entries and their badges (``menu``), the member home's grid and the 办事 sections (``portal``),
the staff home's cards (``home``), and its staff URLs, member URLs and API routers (``routes``). Apps
register in ``AppConfig.ready()``; the shells and the URL root iterate when they render or load.
"""
