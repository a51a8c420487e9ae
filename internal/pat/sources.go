package pat

import (
	"net/netip"
	"slices"
)

// MaxAllowedSources bounds a token's source-address limit: enough for a
// few office ranges, CI runners' egress addresses and a VPN, small enough
// that the authorizer checks them all on every request and that a list
// stays readable (Unkey allows any number, GitHub's organisation allow
// lists are per organisation; 16 per token covers what one client needs).
const MaxAllowedSources = 16

// CleanSources checks and normalises a token's allowed sources: IPv4 or
// IPv6 addresses and CIDR ranges. An address becomes its one-address range
// (/32, /128), an IPv4-mapped IPv6 address or range becomes its IPv4 form
// (the authorizer compares unmapped addresses), and the list is sorted
// without duplicates. A range with bits set beyond its prefix length
// (10.0.0.5/24) is refused, naming the range it would be: silently
// widening what the owner wrote to a whole network is not ours to guess.
// Zones (fe80::1%eth0) are refused: API Gateway never reports one. Empty
// (or nil): the token is usable from anywhere.
func CleanSources(in []string) ([]string, error) {
	if len(in) > MaxAllowedSources {
		return nil, Errorf(CodeInvalid, "allowedSources: at most %d addresses or ranges", MaxAllowedSources)
	}
	prefixes := make([]netip.Prefix, 0, len(in))
	for i, s := range in {
		p, err := parseSource(s)
		if err != nil {
			// The entry is named by its place, not echoed: a caller may paste
			// anything there, a token included.
			return nil, Errorf(CodeInvalid, "allowedSources[%d]: %s", i, err.Message)
		}
		prefixes = append(prefixes, p)
	}
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	prefixes = slices.Compact(prefixes)
	out := make([]string, len(prefixes))
	for i, p := range prefixes {
		out[i] = p.String()
	}
	return out, nil
}

// parseSource reads one entry of a source-address limit.
func parseSource(s string) (netip.Prefix, *Error) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Prefix{}, Errorf(CodeInvalid, "an address with a zone cannot be matched")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, Errorf(CodeInvalid, "not an IPv4 or IPv6 address or CIDR range such as 203.0.113.0/24 or 2001:db8::/32")
	}
	if masked := p.Masked(); masked != p {
		return netip.Prefix{}, Errorf(CodeInvalid, "has bits set beyond its /%d: the range is %s, or give the one address as %s", p.Bits(), masked, p.Addr())
	}
	// A masked range whose address is IPv4-mapped is at least /96 (a
	// shorter one would clear the mapping's ones).
	if a := p.Addr(); a.Is4In6() {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96), nil
	}
	return p, nil
}

// SourceAllowed reports whether a request from ip may use a token limited
// to sources (as CleanSources keeps them): always when there is no limit;
// never when ip is not an address (the gateway sent none: fail closed).
// An IPv4-mapped IPv6 address counts as its IPv4 address.
func SourceAllowed(sources []string, ip string) bool {
	if len(sources) == 0 {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, s := range sources {
		p, err := netip.ParsePrefix(s)
		if err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}
