package leak

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultKeysURL is where GitHub publishes the keys it signs secret-scanning
// reports with.
const DefaultKeysURL = "https://api.github.com/meta/public_keys/secret_scanning"

// MinRefresh is the least time between two fetches of the keys: a report
// naming an unknown key fetches them again at most this often, so that a
// flood of made-up key ids cannot turn into a flood of requests to GitHub.
const MinRefresh = time.Minute

// maxKeysBytes bounds the key document read.
const maxKeysBytes = 256 << 10

// Keys are the published signing keys, fetched from URL on first use and
// again when a report names a key not among them (at most once per
// MinRefresh), kept for the life of the instance.
type Keys struct {
	URL    string
	Client *http.Client
	// Now is the clock of the refresh limit; tests set it.
	Now func() time.Time

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	fetched time.Time // zero: never fetched
}

// NewKeys returns the keys published at url, fetched with a short timeout.
func NewKeys(url string) *Keys {
	return &Keys{URL: url, Client: &http.Client{Timeout: 5 * time.Second}, Now: time.Now}
}

// Verify checks that body is signed by the published key keyID with sig.
// A missing key id or signature, or one that does not verify, is
// ErrUnsigned; a key id unknown also after fetching the keys again is
// ErrUnknownKey. Any other error is the key server's.
func (k *Keys) Verify(ctx context.Context, body []byte, keyID, sig string) error {
	if keyID == "" || sig == "" {
		return fmt.Errorf("%w: %s and %s are required", ErrUnsigned, HeaderKeyID, HeaderSignature)
	}
	key, err := k.lookup(ctx, keyID)
	if err != nil {
		return err
	}
	return VerifySignature(key, body, sig)
}

// lookup returns the key named id, fetching the keys when they were never
// fetched or id is unknown and the last fetch is MinRefresh old.
func (k *Keys) lookup(ctx context.Context, id string) (*ecdsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[id]; ok {
		return key, nil
	}
	if !k.fetched.IsZero() && k.Now().Sub(k.fetched) < MinRefresh {
		return nil, ErrUnknownKey
	}
	keys, err := k.fetch(ctx)
	k.fetched = k.Now() // a failed fetch counts too: the limit protects the key server
	if err != nil {
		return nil, err
	}
	k.keys = keys
	if key, ok := k.keys[id]; ok {
		return key, nil
	}
	return nil, ErrUnknownKey
}

// keyDocument is GitHub's format of the published keys.
type keyDocument struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// fetch reads the key document. Every key is kept, current or not: GitHub
// may still sign with a key it is retiring.
func (k *Keys) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch signing keys: %s", resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	if len(raw) > maxKeysBytes {
		return nil, fmt.Errorf("fetch signing keys: document over %d bytes", maxKeysBytes)
	}
	var doc keyDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	var errs []error
	for _, pk := range doc.PublicKeys {
		key, err := ParsePublicKey(pk.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("key %q: %w", pk.KeyIdentifier, err))
			continue
		}
		keys[pk.KeyIdentifier] = key
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("fetch signing keys: no usable key: %w", errors.Join(errs...))
	}
	return keys, nil
}

// ParsePublicKey reads a PEM "PUBLIC KEY" (PKIX) holding an ECDSA P-256 key.
func ParsePublicKey(s string) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM public key")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return key, nil
}
