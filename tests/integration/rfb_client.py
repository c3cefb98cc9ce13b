"""A small RFB (VNC) client for the tests: the protocol as a viewer speaks
it to Corral's RFB server (corral-vmm --vnc, reached through `corral vm
vnc` and `ssh -L`), with the picture kept as rows of 0xRRGGBB ints.

    c = RfbClient.connect("127.0.0.1", port)
    c.handshake()                      # 3.8, security None, ServerInit
    c.set_encodings([ENC_ZLIB, ENC_RAW, ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY])
    c.request_update(incremental=False)
    c.wait_update(timeout=10)          # the picture is in c.pixels
    c.key_qnum(0x1c)                   # Return, as QEMU's extended key event
    png_bytes = c.png()                # for OCR or a human

Also decode_png() (8-bit RGB/RGBA, no interlace), to check what `corral vm
screenshot` wrote without PIL.  Reusable by the display tests (screenshots,
OCR) once the VGA device draws.
"""

import socket
import struct
import time
import zlib

ENC_RAW = 0
ENC_ZLIB = 6
ENC_DESKTOP_SIZE = -223
ENC_QEMU_EXT_KEY = -258


class RfbError(Exception):
    pass


class RfbClient:
    def __init__(self, sock):
        self.sock = sock
        self.width = self.height = 0
        self.name = ""
        self.pixels = []
        self.ext_key = False
        self.updates = 0
        self.rects_by_encoding = {}
        self.bytes_read = 0
        self._zlib = zlib.decompressobj()

    @classmethod
    def connect(cls, host, port, timeout=30):
        return cls(socket.create_connection((host, port), timeout=timeout))

    @classmethod
    def connect_unix(cls, path, timeout=30):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        return cls(s)

    def close(self):
        self.sock.close()

    # --- bytes -------------------------------------------------------

    def read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RfbError("the server closed the connection (after %d bytes)"
                               % self.bytes_read)
            buf += chunk
            self.bytes_read += len(chunk)
        return buf

    def send(self, data):
        self.sock.sendall(data)

    # --- handshake -----------------------------------------------------

    def handshake(self, version=b"RFB 003.008\n", shared=True):
        server = self.read(12)
        if not server.startswith(b"RFB 003."):
            raise RfbError("not an RFB server: %r" % server)
        self.server_version = server
        self.send(version)
        if version == b"RFB 003.003\n":
            (stype,) = struct.unpack(">I", self.read(4))
            if stype == 0:
                raise RfbError("refused: " + self._reason())
        else:
            (count,) = struct.unpack(">B", self.read(1))
            if count == 0:
                raise RfbError("refused: " + self._reason())
            types = self.read(count)
            if 1 not in types:
                raise RfbError("no security type None: %r" % types)
            self.send(b"\x01")
            if version == b"RFB 003.008\n":
                (result,) = struct.unpack(">I", self.read(4))
                if result != 0:
                    raise RfbError("security failed: " + self._reason())
        self.send(b"\x01" if shared else b"\x00")
        w, h = struct.unpack(">HH", self.read(4))
        self.server_format = self.read(16)
        (n,) = struct.unpack(">I", self.read(4))
        self.name = self.read(n).decode("utf-8", "replace")
        self._resize(w, h)
        # Ours: 32 bits, little-endian, 0x00RRGGBB.
        self.send(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1, 255, 255, 255,
                              16, 8, 0))

    def _reason(self):
        (n,) = struct.unpack(">I", self.read(4))
        return self.read(n).decode("utf-8", "replace")

    def _resize(self, w, h):
        self.width, self.height = w, h
        self.pixels = [[0] * w for _ in range(h)]

    # --- client messages -------------------------------------------------

    def set_encodings(self, encodings):
        self.send(struct.pack(">BxH", 2, len(encodings)) +
                  b"".join(struct.pack(">i", e) for e in encodings))

    def request_update(self, incremental=False, x=0, y=0, w=None, h=None):
        self.send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, x, y,
                              self.width if w is None else w,
                              self.height if h is None else h))

    def key_sym(self, keysym, down=None):
        for d in ([down] if down is not None else [True, False]):
            self.send(struct.pack(">BBxxI", 4, 1 if d else 0, keysym))

    def key_qnum(self, qnum, down=None, keysym=0):
        for d in ([down] if down is not None else [True, False]):
            self.send(struct.pack(">BBHII", 255, 0, 1 if d else 0, keysym, qnum))

    def pointer(self, x, y, buttons=0):
        self.send(struct.pack(">BBHH", 5, buttons, x, y))

    def cut_text(self, text):
        self.send(struct.pack(">BxxxI", 6, len(text)) + text)

    # --- server messages -------------------------------------------------

    def read_message(self):
        """One server message; returns its type (0 update, 2 bell, 3 cut text)."""
        (mtype,) = struct.unpack(">B", self.read(1))
        if mtype == 0:
            self._update()
        elif mtype == 2:
            pass
        elif mtype == 3:
            (n,) = struct.unpack(">xxxI", self.read(7))
            self.read(n)
        else:
            raise RfbError("unexpected server message type %d" % mtype)
        return mtype

    def wait_update(self, timeout=30):
        """Reads until a FramebufferUpdate that is more than the extended
        key event's announcement; returns its rectangles [(x,y,w,h,enc)]."""
        self.sock.settimeout(timeout)
        while True:
            if self.read_message() == 0 and self.last_rects != [ENC_QEMU_EXT_KEY]:
                return self.last_update

    def _update(self):
        (n,) = struct.unpack(">xH", self.read(3))
        self.last_update, self.last_rects = [], []
        for _ in range(n):
            x, y, w, h, enc = struct.unpack(">HHHHi", self.read(12))
            self.last_update.append((x, y, w, h, enc))
            self.last_rects.append(enc)
            self.rects_by_encoding[enc] = self.rects_by_encoding.get(enc, 0) + 1
            if enc == ENC_QEMU_EXT_KEY:
                self.ext_key = True
            elif enc == ENC_DESKTOP_SIZE:
                self._resize(w, h)
            elif enc == ENC_RAW:
                self._pixels(x, y, w, h, self.read(w * h * 4))
            elif enc == ENC_ZLIB:
                (zlen,) = struct.unpack(">I", self.read(4))
                data = self._zlib.decompress(self.read(zlen))
                self._pixels(x, y, w, h, data)
            else:
                raise RfbError("encoding %d was not asked for" % enc)
        self.updates += 1

    def _pixels(self, x, y, w, h, data):
        if x + w > self.width or y + h > self.height or len(data) != w * h * 4:
            raise RfbError("rectangle %dx%d+%d+%d does not fit %dx%d (%d bytes)"
                           % (w, h, x, y, self.width, self.height, len(data)))
        for row in range(h):
            line = data[row * w * 4:(row + 1) * w * 4]
            self.pixels[y + row][x:x + w] = [
                line[i] | line[i + 1] << 8 | line[i + 2] << 16 for i in range(0, w * 4, 4)]

    # --- pictures ----------------------------------------------------------

    def png(self):
        return encode_png(self.pixels, self.width, self.height)


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def encode_png(rows, width, height):
    raw = b"".join(b"\x00" + b"".join(struct.pack(">I", p)[1:] for p in row)
                   for row in rows)
    return (b"\x89PNG\r\n\x1a\n" +
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


def decode_png(data):
    """(width, height, rows of 0xRRGGBB) of an 8-bit RGB or RGBA PNG; checks
    every chunk's CRC.  Filters 0-4 are undone."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) != crc:
            raise ValueError("bad CRC in %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("only 8-bit RGB/RGBA without interlace")
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([line[i] << 16 | line[i + 1] << 8 | line[i + 2] for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


if __name__ == "__main__":  # a self-check of the PNG pair
    pix = [[(x * 7 + y * 13) & 0xFFFFFF for x in range(5)] for y in range(3)]
    assert decode_png(encode_png(pix, 5, 3)) == (5, 3, pix)
    print("ok")
