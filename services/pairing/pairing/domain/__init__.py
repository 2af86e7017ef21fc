"""Pairing's rules, free of I/O: who may ask whom (`preferences`), when a request's reminder and expiry
fall (`deadlines`), the request lifecycle's objects (`model`) and the cascade one change sets off
(`lifecycle`)."""
