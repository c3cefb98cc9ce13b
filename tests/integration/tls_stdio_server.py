"""One HTTPS exchange over stdin/stdout, for `corral image import https://`.

QEMU's user network runs this per connection to 10.0.2.100:443 (a
`guestfwd=...-cmd:` rule, see qemu.py): stdin and stdout are the guest's
TCP stream, so no port is opened on the test machine and nothing leaves it.
It serves DIR/files/NAME for `GET /NAME` (404 otherwise) with the
self-signed DIR/cert.pem and DIR/key.pem that the test makes.
Usage: tls_stdio_server.py DIR
"""

import os
import ssl
import sys


def write_all(data):
    while data:
        data = data[os.write(1, data):]


class Stream:
    def __init__(self, ctx):
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_side=True)

    def call(self, fn, *args):
        """Runs one TLS operation, moving bytes between the BIOs and stdio."""
        while True:
            try:
                result = fn(*args)
                write_all(self.outgoing.read())
                return result
            except ssl.SSLWantReadError:
                write_all(self.outgoing.read())
                data = os.read(0, 65536)
                if not data:
                    raise EOFError("the client went away")
                self.incoming.write(data)


def main():
    root = sys.argv[1]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(root, "cert.pem"), os.path.join(root, "key.pem"))
    s = Stream(ctx)
    s.call(s.tls.do_handshake)
    request = b""
    while b"\r\n\r\n" not in request and len(request) < 16384:
        request += s.call(s.tls.read, 4096)
    path = request.split(b" ")[1].decode() if request.count(b" ") >= 2 else "/"
    name = os.path.basename(path)
    local = os.path.join(root, "files", name)
    if not name or not os.path.isfile(local):
        s.call(s.tls.write, b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return
    with open(local, "rb") as f:
        body = f.read()
    s.call(s.tls.write, b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n"
           b"Connection: close\r\n\r\n" % len(body))
    for at in range(0, len(body), 16384):
        s.call(s.tls.write, body[at:at + 16384])


if __name__ == "__main__":
    try:
        main()
    except (EOFError, ssl.SSLError, OSError) as e:
        sys.stderr.write("tls_stdio_server: %s\n" % e)
