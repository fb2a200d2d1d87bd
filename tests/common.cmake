# Tests of the shared library (services/common).
