package authz

import "strings"

// bearerToken extracts the token from an Authorization header value per
// RFC 6750 §2.1: scheme "Bearer" in any case, one or more spaces, one
// b64token. present is false when there are no bearer credentials at all
// (no header, or another scheme): RFC 6750 §3.1 says to answer those with
// no error code. A present but malformed value yields ok false.
func bearerToken(header string) (token string, present, ok bool) {
	header = strings.TrimRight(header, " \t")
	if header == "" {
		return "", false, false
	}
	scheme, rest, found := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false, false
	}
	if !found {
		return "", true, false
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" || !isB64Token(rest) {
		return "", true, false
	}
	return rest, true, true
}

// isB64Token reports whether s is an RFC 6750 b64token: a run of
// ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" followed by "=" padding.
// A comma (two headers joined) or a space (two tokens) fails it.
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
