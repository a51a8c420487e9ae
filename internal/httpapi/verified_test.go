package httpapi

import "testing"

// API Gateway passes a boolean claim on as the string "true" or "false".
// Without the claim an address counts as verified (many identity
// providers never send it); anything but "true" does not.
func TestEmailVerifiedClaim(t *testing.T) {
	for claim, want := range map[string]bool{"": true, "true": true, "True": true, "false": false, "0": false, "no": false, "[true]": false} {
		if got := emailVerified(claim); got != want {
			t.Errorf("email_verified %q: verified %v, want %v", claim, got, want)
		}
	}
}
