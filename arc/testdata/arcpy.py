# Seal or verify an ARC chain with dkimpy (Debian's python3-dkim), for the
# interoperability tests of package arc. Usage:
#   arcpy.py seal KEYS.json SELECTOR DOMAIN KEY.pem SRVID < msg > sealed
#   arcpy.py verify KEYS.json < msg   (prints "cv reason")
# KEYS.json maps DNS names to the TXT record the test publishes.
import json
import sys

import dkim


def main():
    mode, keys = sys.argv[1], json.load(open(sys.argv[2]))

    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        v = keys.get(n.rstrip("."))
        return v.encode() if v else None

    msg = sys.stdin.buffer.read()
    if mode == "seal":
        sel, dom, keyfile, srv = sys.argv[3:7]
        key = open(keyfile, "rb").read()
        a = dkim.ARC(msg)
        hdrs = a.sign(sel.encode(), dom.encode(), key, srv.encode(), timestamp=1700000000,
                      include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        if not hdrs:
            sys.exit("dkimpy made no ARC set")
        sys.stdout.buffer.write(b"".join(hdrs) + msg)
    else:
        cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        print(cv.decode(), reason)


main()
