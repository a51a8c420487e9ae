package pat

import (
	"testing"
	"time"
)

func TestShouldRecordUse(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	cases := []struct {
		name string
		last *time.Time
		want bool
	}{
		{"never used", nil, true},
		{"just now", at(0), false},
		{"within interval", at(-9 * time.Minute), false},
		{"interval passed", at(-10 * time.Minute), true},
		{"long ago", at(-48 * time.Hour), true},
		{"clock skew: in the future", at(time.Minute), false},
	}
	for _, tc := range cases {
		if got := ShouldRecordUse(tc.last, now, 10*time.Minute); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestStatusAt(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	cases := []struct {
		tok  Token
		want Status
	}{
		{Token{Status: StatusActive, ExpiresAt: &future}, StatusActive},
		{Token{Status: StatusActive, ExpiresAt: nil}, StatusActive},
		{Token{Status: StatusActive, ExpiresAt: &past}, StatusExpired},
		{Token{Status: StatusActive, ExpiresAt: &now}, StatusExpired},
		{Token{Status: StatusRevoked, ExpiresAt: &past}, StatusRevoked},
		{Token{Status: StatusLocked, ExpiresAt: &future}, StatusLocked},
	}
	for _, tc := range cases {
		if got := tc.tok.StatusAt(now); got != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.tok, got, tc.want)
		}
	}
}
