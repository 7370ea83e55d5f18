package dnstest

import (
	"fmt"
	"net/netip"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// ParseZonedata parses a YAML mapping in the zonedata form of the RFC 7208
// test suite (see the package doc) into a new Zone.
func ParseZonedata(data []byte) (*Zone, error) {
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("dnstest: zonedata: %w", err)
	}
	return FromZonedata(v)
}

// FromZonedata builds a Zone from zonedata already decoded from YAML (a map
// of names to lists of records), as found under the "zonedata" key of each
// document of the RFC 7208 suite.
func FromZonedata(zd map[string]any) (*Zone, error) {
	z := New()
	for name, v := range zd {
		if err := z.addZonedata(name, v); err != nil {
			return nil, fmt.Errorf("dnstest: zonedata %q: %w", name, err)
		}
	}
	return z, nil
}

var zonedataTypes = []Type{TypeA, TypeAAAA, TypeTXT, TypeMX, TypePTR, TypeCNAME}

func (z *Zone) addZonedata(name string, v any) error {
	list, ok := v.([]any)
	if !ok && v != nil {
		return fmt.Errorf("want a list of records, got %T", v)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.node(name)
	seen := map[Type]bool{}
	hasTXT := false
	var spf [][]string
	for _, e := range list {
		if s, ok := e.(string); ok {
			if s != "TIMEOUT" {
				return fmt.Errorf("unknown entry %q", s)
			}
			// Every type without a record before TIMEOUT times out.
			for _, t := range zonedataTypes {
				if !seen[t] {
					if n.faults == nil {
						n.faults = make(map[Type]Fault)
					}
					if _, set := n.faults[t]; !set {
						n.faults[t] = Timeout
					}
				}
			}
			continue
		}
		m, ok := e.(map[string]any)
		if !ok || len(m) != 1 {
			return fmt.Errorf("want {TYPE: value}, got %v", e)
		}
		for typ, val := range m {
			if s, ok := val.(string); ok && s == "NONE" {
				if typ == "TXT" {
					hasTXT = true
				}
				continue
			}
			if s, ok := val.(string); ok && s == "TIMEOUT" {
				if typ == "SPF" {
					continue // type 99 is never queried
				}
				t, err := parseType(typ)
				if err != nil {
					return err
				}
				if n.faults == nil {
					n.faults = make(map[Type]Fault)
				}
				n.faults[t] = Timeout
				continue
			}
			switch typ {
			case "TXT", "SPF":
				strs, err := txtStrings(val)
				if err != nil {
					return err
				}
				if typ == "SPF" {
					spf = append(spf, strs)
					continue
				}
				hasTXT = true
				seen[TypeTXT] = true
				n.txt = append(n.txt, strs)
			case "A", "AAAA":
				for _, s := range scalars(val) {
					ip, err := netip.ParseAddr(s)
					if err != nil {
						return err
					}
					t := TypeA
					if !ip.Unmap().Is4() {
						t = TypeAAAA
					}
					seen[t] = true
					n.a = append(n.a, ip.Unmap())
				}
			case "MX":
				l, ok := val.([]any)
				if !ok || len(l) != 2 {
					return fmt.Errorf("MX: want [preference, host], got %v", val)
				}
				pref, err := strconv.ParseUint(fmt.Sprint(l[0]), 10, 16)
				if err != nil {
					return fmt.Errorf("MX preference: %w", err)
				}
				seen[TypeMX] = true
				n.mx = append(n.mx, mxRecord(uint16(pref), fmt.Sprint(l[1])))
			case "PTR":
				for _, s := range scalars(val) {
					seen[TypePTR] = true
					n.ptr = append(n.ptr, fqdn(s))
				}
			case "CNAME":
				n.cname = fqdn(fmt.Sprint(val))
				for _, t := range zonedataTypes {
					seen[t] = true
				}
			default:
				return fmt.Errorf("unknown record type %q", typ)
			}
		}
	}
	if !hasTXT && len(spf) > 0 {
		// The suites' drivers serve SPF (type 99) records as TXT unless the
		// name has TXT entries; RFC 7208 resolvers query TXT only. They come
		// after every listed record, so a TIMEOUT entry hides them.
		n.txt = append(n.txt, spf...)
	}
	return nil
}

func parseType(s string) (Type, error) {
	switch s {
	case "A":
		return TypeA, nil
	case "AAAA":
		return TypeAAAA, nil
	case "TXT", "SPF":
		return TypeTXT, nil
	case "MX":
		return TypeMX, nil
	case "PTR":
		return TypePTR, nil
	case "CNAME":
		return TypeCNAME, nil
	}
	return 0, fmt.Errorf("unknown record type %q", s)
}

func txtStrings(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, s := range v {
			out = append(out, fmt.Sprint(s))
		}
		return out, nil
	case nil:
		return []string{}, nil
	}
	return []string{fmt.Sprint(v)}, nil
}

func scalars(v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = fmt.Sprint(s)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}
