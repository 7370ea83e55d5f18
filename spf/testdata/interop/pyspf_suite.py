"""Runs an openspf.org suite file through pyspf (Debian python3-spf) with
DNS answered from the suite's zonedata, printing one JSON line per test:
{"name", "result", "explanation"}. Used by spf/interop_test.go.

The DNS driver follows the suite's own driver (pyspf's testspf.py): SPF
records are served as TXT unless the name has TXT entries, NONE publishes
nothing, and TIMEOUT fails every type without a record listed before it.
"""
import json
import sys

import spf
import yaml


def getrdata(r):
    txt = []
    gen = True
    for m in r:
        if m == 'TIMEOUT':
            yield m
            continue
        for t, v in m.items():
            if t == 'TXT':
                gen = False
            elif t == 'SPF' and gen:
                txt.append(('TXT', v))
            if v != 'NONE':
                if t in ('TXT', 'SPF') and isinstance(v, str):
                    yield (t, (v,))
                else:
                    yield (t, v)
    if gen:
        for t, v in txt:
            yield (t, (v,) if isinstance(v, str) else v)


def make_lookup(zonedata):
    zone = {k.lower(): list(getrdata(v or [])) for k, v in zonedata.items()}

    def lookup(name, qtype, strict=True, timeout=None):
        try:
            entries = zone[name.lower().rstrip('.')]
        except KeyError:
            return []
        out = []
        timeout = True
        for i in entries:
            if i == 'TIMEOUT':
                if timeout:
                    raise spf.TempError('DNS timeout')
                continue
            t, v = i
            if t == qtype:
                timeout = False
            if v == 'TIMEOUT':
                if t == qtype:
                    raise spf.TempError('DNS timeout')
                continue
            if t in ('TXT', 'SPF'):
                v = [s.encode('utf-8') for s in v]
            elif t == 'MX':
                v = (v[0], v[1])
            out.append(((name, t), v))
        return out
    return lookup


def main():
    for doc in yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')):
        spf.DNSLookup = make_lookup(doc.get('zonedata') or {})
        for name, t in sorted(doc['tests'].items()):
            res, exp = spf.check2(i=str(t['host']), s=t.get('mailfrom') or '',
                                  h=str(t['helo']), receiver='localhost', querytime=0)
            print(json.dumps({'name': name, 'result': res, 'explanation': exp}))


if __name__ == '__main__':
    main()
