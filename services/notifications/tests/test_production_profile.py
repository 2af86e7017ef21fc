from notifications.settings import NotificationsSettings


def test_production_refuses_the_development_token_source_and_a_plain_http_token_endpoint():
    assert NotificationsSettings(token_source="dev").production_refusals() == [
        "NOTIFICATIONS_TOKEN_SOURCE=dev: its token comes from the development identity provider's grant"
    ]
    plain = NotificationsSettings(token_source="client_credentials", token_url="http://login.example.org/token")
    assert plain.production_refusals() == [
        "NOTIFICATIONS_TOKEN_URL must be an https URL in production, not 'http://login.example.org/token'"
    ]
    secure = NotificationsSettings(token_source="client_credentials", token_url="https://login.example.org/token")
    assert secure.production_refusals() == []
