# Tests of hello, the web service (services/web).
