def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok", "db": "ok"}
