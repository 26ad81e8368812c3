from tests.conftest import login


def test_full_login_lands_on_start_page(client, make_user, clock):
    user = make_user()
    login(client, user, clock)
    page = client.get("/")
    assert page.status_code == 200
    assert "Guten Tag" in page.get_data(as_text=True)
