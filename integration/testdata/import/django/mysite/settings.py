SECRET_KEY = "stagebuild-import-test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS = ["mysite"]
DATABASES = {}
USE_TZ = True
