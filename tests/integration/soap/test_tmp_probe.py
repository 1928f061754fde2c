import zeep, logging
def test_probe(server, caplog):
    c = zeep.Client(server.wsdl_url)
    print(c.service.Login("svc-user", "S3cr3t-Pa55w0rd-xyz"))
    try:
        c.service.Fail("client")
    except zeep.exceptions.Fault as f:
        print(repr(f.message), f.code, f.actor, f.detail, f.subcodes)
    try:
        c.service.Fail("server")
    except zeep.exceptions.Fault as f:
        print(repr(f.message), f.code)
    print([ (h.method, h.path) for h in server.hits])
    print(server.posts()[0].body.decode())
