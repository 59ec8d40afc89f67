from django.test import SimpleTestCase


class HealthTests(SimpleTestCase):
    def test_health(self):
        self.assertEqual(self.client.get("/health/").json(), {"status": "ok"})
