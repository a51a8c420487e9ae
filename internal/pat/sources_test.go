package pat

import (
	"fmt"
	"strings"
	"testing"
)

func TestCleanSources(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want string // the kept list joined by " ", or "error: <part of the message>"
	}{
		{"none", nil, ""},
		{"an IPv4 address is its /32", []string{"203.0.113.7"}, "203.0.113.7/32"},
		{"an IPv6 address is its /128", []string{"2001:db8::1"}, "2001:db8::1/128"},
		{"IPv6 is written canonically", []string{"2001:DB8:0:0::/32"}, "2001:db8::/32"},
		{"an IPv4-mapped address is its IPv4 form", []string{"::ffff:203.0.113.7"}, "203.0.113.7/32"},
		{"an IPv4-mapped range is its IPv4 range", []string{"::ffff:10.0.0.0/104"}, "10.0.0.0/8"},
		{"sorted, duplicates dropped", []string{"198.51.100.0/24", "10.0.0.0/8", "198.51.100.0/24", "10.0.0.0/8"}, "10.0.0.0/8 198.51.100.0/24"},
		{"everything IPv4 is a range like any other", []string{"0.0.0.0/0"}, "0.0.0.0/0"},
		{"host bits set: refused, naming the range", []string{"10.0.0.0/8", "10.1.2.3/16"}, "error: allowedSources[1]: has bits set beyond its /16: the range is 10.1.0.0/16, or give the one address as 10.1.2.3"},
		{"not an address", []string{"example.com"}, "error: allowedSources[0]: not an IPv4 or IPv6 address"},
		{"empty entry", []string{""}, "error: allowedSources[0]: not an"},
		{"prefix too long", []string{"10.0.0.0/33"}, "error: allowedSources[0]: not an"},
		{"a zone", []string{"fe80::1%eth0"}, "error: allowedSources[0]: an address with a zone"},
		{"all IPv4-mapped addresses are all IPv4 addresses", []string{"::ffff:0:0/96"}, "0.0.0.0/0"},
		{"a token pasted there is not echoed", []string{"pat_secretsecretsecret"}, "error: allowedSources[0]: not an"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CleanSources(tc.in)
			if strings.HasPrefix(tc.want, "error: ") {
				if ErrorCode(err) != CodeInvalid || !strings.Contains(err.Error(), strings.TrimPrefix(tc.want, "error: ")) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("CleanSources(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tc.want {
				t.Fatalf("CleanSources(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	t.Run("at most MaxAllowedSources", func(t *testing.T) {
		var in []string
		for i := range MaxAllowedSources + 1 {
			in = append(in, fmt.Sprintf("192.0.2.%d", i))
		}
		if _, err := CleanSources(in[:MaxAllowedSources]); err != nil {
			t.Fatalf("%d sources refused: %v", MaxAllowedSources, err)
		}
		if _, err := CleanSources(in); ErrorCode(err) != CodeInvalid {
			t.Fatalf("%d sources: %v, want invalid_request", len(in), err)
		}
	})
}

func TestSourceAllowed(t *testing.T) {
	limit, err := CleanSources([]string{"203.0.113.0/24", "2001:db8:1::/48", "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sources []string
		ip      string
		want    bool
	}{
		{nil, "192.0.2.1", true},
		{nil, "", true}, // no limit: the address does not matter
		{limit, "203.0.113.200", true},
		{limit, "203.0.114.1", false},
		{limit, "198.51.100.7", true},
		{limit, "198.51.100.8", false},
		{limit, "2001:db8:1:ffff::1", true},
		{limit, "2001:db8:2::1", false},
		{limit, "::ffff:203.0.113.9", true}, // an IPv4 client seen on a dual-stack socket
		{limit, "::ffff:192.0.2.1", false},
		{limit, "", false},                      // the gateway sent no address: fail closed
		{limit, "203.0.113.9, 10.0.0.1", false}, // a forwarded-for list is no address
		{limit, "fe80::1%eth0", false},
		{[]string{"0.0.0.0/0"}, "2001:db8::1", false},
	}
	for _, tc := range cases {
		if got := SourceAllowed(tc.sources, tc.ip); got != tc.want {
			t.Errorf("SourceAllowed(%q, %q) = %v, want %v", tc.sources, tc.ip, got, tc.want)
		}
	}
}
