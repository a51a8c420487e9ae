// Package leak reads leaked-token reports in GitHub's secret-scanning
// partner format: a JSON array of {token, type, url, source}, signed with
// ECDSA P-256 and SHA-256 over the raw body by a key GitHub publishes
// (Keys), and writes the feedback GitHub takes back (Feedback). It knows
// nothing of the token service: what a reported token is and what is done
// about it is the domain's (pat.Service.ReportLeaks).
package leak

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits of one report: GitHub sends a handful of tokens at a time.
const (
	MaxBodyBytes = 64 << 10
	MaxEntries   = 1000
	// maxField bounds each string of an entry: a token, a type, a URL.
	maxField = 2048
)

// Headers GitHub signs its reports with.
const (
	HeaderKeyID     = "Github-Public-Key-Identifier"
	HeaderSignature = "Github-Public-Key-Signature"
)

// Errors of Verify and Parse, for the caller to answer with a status.
var (
	// ErrUnsigned: the signature or the key id is missing, or the
	// signature does not verify. The report is not GitHub's.
	ErrUnsigned = errors.New("report not signed by a known key")
	// ErrUnknownKey: the key id is not among the published keys, also
	// after fetching them again.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrTooLarge: the body exceeds MaxBodyBytes.
	ErrTooLarge = errors.New("report too large")
	// ErrMalformed: not a JSON array of entries, too many entries, or an
	// entry without a token.
	ErrMalformed = errors.New("malformed report")
)

// Entry is one token a scanner found in public.
type Entry struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// Label is GitHub's feedback on one reported token.
type Label string

const (
	TruePositive  Label = "true_positive"  // one of our tokens (revoked now, or dead already)
	FalsePositive Label = "false_positive" // not a token we issued
)

// Verdict is the feedback on one entry, in GitHub's format.
type Verdict struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     Label  `json:"label"`
}

// VerifySignature checks sig (base64 of an ASN.1 ECDSA signature) over
// the SHA-256 of body against key.
func VerifySignature(key *ecdsa.PublicKey, body []byte, sig string) error {
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(der) == 0 {
		return fmt.Errorf("%w: signature not base64", ErrUnsigned)
	}
	sum := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(key, sum[:], der) {
		return fmt.Errorf("%w: signature does not verify", ErrUnsigned)
	}
	return nil
}

// Parse reads a verified body: a JSON array of at most MaxEntries entries,
// each with a token, no field longer than maxField and no unknown field
// left unread (GitHub may add fields: they are ignored).
func Parse(body []byte) ([]Entry, error) {
	if len(body) > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw []json.RawMessage
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: want one JSON array", ErrMalformed)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: no entries", ErrMalformed)
	}
	if len(raw) > MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, at most %d", ErrMalformed, len(raw), MaxEntries)
	}
	entries := make([]Entry, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &entries[i]); err != nil {
			return nil, fmt.Errorf("%w: entry %d: want an object of strings", ErrMalformed, i)
		}
		e := entries[i]
		if e.Token == "" {
			return nil, fmt.Errorf("%w: entry %d: no token", ErrMalformed, i)
		}
		for _, f := range []string{e.Token, e.Type, e.URL, e.Source} {
			if len(f) > maxField {
				return nil, fmt.Errorf("%w: entry %d: a field over %d bytes", ErrMalformed, i, maxField)
			}
		}
	}
	return entries, nil
}
