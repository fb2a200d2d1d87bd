# Reliability: faults, slow clients and hostile input (issue 6).
part5_py_test(reliability_hello reliability/test_hello_faults.py
    LABELS "integration;reliability" TIMEOUT 300)
