package httpapi

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/pat"
)

// Limits of the identity claims the service accepts. They are far above
// what identity providers issue (a Cognito sub is 36 bytes, an address at
// most 254 by RFC 5321, a Cognito user at most 100 groups) and far below
// what would break a store key (2,048 bytes) or an item (400 KB).
const (
	MaxUserIDBytes    = 256
	MaxEmailBytes     = 254
	MaxListClaimBytes = 16 << 10 // groups and permissions, each
	MaxListEntries    = 1000
	MaxListEntryBytes = 256
)

// checkClaims refuses identity claims that are oversized or malformed with
// invalid_request (400), naming the claim: an identity provider sent them,
// so signing in again would not help, and nothing past this point should
// have to cope with them.
func checkClaims(claims map[string]string, names config.Claims) error {
	if v := claims[names.UserID]; len(v) > MaxUserIDBytes || !plain(v) {
		return pat.Errorf(pat.CodeInvalid, "the identity provider's %s claim (user id) must be at most %d bytes of UTF-8 text without control or format characters", names.UserID, MaxUserIDBytes)
	}
	if v := claims[names.Email]; v != "" && (len(v) > MaxEmailBytes || !plain(v) || !address(v)) {
		return pat.Errorf(pat.CodeInvalid, "the identity provider's %s claim must be an address of at most %d bytes (local-part@domain, no spaces)", names.Email, MaxEmailBytes)
	}
	for _, name := range []string{names.Groups, names.Permissions} {
		v := claims[name]
		if v == "" {
			continue
		}
		if len(v) > MaxListClaimBytes || !plain(v) {
			return pat.Errorf(pat.CodeInvalid, "the identity provider's %s claim must be at most %d bytes of UTF-8 text without control or format characters", name, MaxListClaimBytes)
		}
		entries := claimList(v)
		if len(entries) > MaxListEntries {
			return pat.Errorf(pat.CodeInvalid, "the identity provider's %s claim lists %d entries, more than %d", name, len(entries), MaxListEntries)
		}
		for _, e := range entries {
			if len(e) > MaxListEntryBytes {
				return pat.Errorf(pat.CodeInvalid, "the identity provider's %s claim has an entry over %d bytes", name, MaxListEntryBytes)
			}
		}
	}
	return nil
}

// plain reports whether s is UTF-8 text without control or format
// characters (a bidirectional override would make an id or address read
// as another in the console and the audit log).
func plain(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) })
}

// address is the shape of an email address: one "@" between a local part
// and a domain, no spaces.
func address(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") && !strings.ContainsFunc(s, unicode.IsSpace)
}
