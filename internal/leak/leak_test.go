package leak_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patservice/pat/internal/leak"
)

// Signer is a GitHub stand-in: keys generated in the test, published by a
// local key server in GitHub's format.
type Signer struct {
	keys    map[string]*ecdsa.PrivateKey
	Fetches atomic.Int32
	Server  *httptest.Server
}

func newSigner(t testing.TB, ids ...string) *Signer {
	t.Helper()
	s := &Signer{keys: map[string]*ecdsa.PrivateKey{}}
	for _, id := range ids {
		s.add(t, id)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Fetches.Add(1)
		type pk struct {
			ID      string `json:"key_identifier"`
			Key     string `json:"key"`
			Current bool   `json:"is_current"`
		}
		doc := struct {
			PublicKeys []pk `json:"public_keys"`
		}{}
		for id, k := range s.keys {
			der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
			if err != nil {
				t.Error(err)
			}
			doc.PublicKeys = append(doc.PublicKeys, pk{ID: id, Key: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), Current: true})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(s.Server.Close)
	return s
}

func (s *Signer) add(t testing.TB, id string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s.keys[id] = k
}

func (s *Signer) sign(t testing.TB, id string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.keys[id], sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// clock is a settable clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func TestVerify(t *testing.T) {
	gh := newSigner(t, "k1")
	other := newSigner(t, "k1") // the same key id, another key: a forger
	body := []byte(`[{"token":"x","type":"pat","url":"https://github.com/o/r/blob/main/a","source":"content"}]`)
	good := gh.sign(t, "k1", body)
	cases := []struct {
		name      string
		keyID     string
		sig       string
		body      []byte
		want      error
		wantFetch int32
	}{
		{"signed by the published key", "k1", good, body, nil, 1},
		{"no signature", "k1", "", body, leak.ErrUnsigned, 0},
		{"no key id", "", good, body, leak.ErrUnsigned, 0},
		{"signature not base64", "k1", "%%%", body, leak.ErrUnsigned, 1},
		{"signed by another key", "k1", other.sign(t, "k1", body), body, leak.ErrUnsigned, 1},
		{"body changed after signing", "k1", good, append([]byte(" "), body...), leak.ErrUnsigned, 1},
		{"a key GitHub never published", "k9", good, body, leak.ErrUnknownKey, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gh.Fetches.Store(0)
			keys := leak.NewKeys(gh.Server.URL)
			err := keys.Verify(context.Background(), c.body, c.keyID, c.sig)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
			if got := gh.Fetches.Load(); got != c.wantFetch {
				t.Errorf("%d fetches of the keys, want %d", got, c.wantFetch)
			}
		})
	}
}

// The keys are cached; a new key id fetches them again, at most once per
// MinRefresh, so made-up ids cannot flood the key server.
func TestKeysCacheAndRefresh(t *testing.T) {
	gh := newSigner(t, "k1")
	c := &clock{now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	keys := leak.NewKeys(gh.Server.URL)
	keys.Now = c.Now
	ctx := context.Background()
	body := []byte(`[]`)
	for range 3 {
		if err := keys.Verify(ctx, body, "k1", gh.sign(t, "k1", body)); err != nil {
			t.Fatal(err)
		}
	}
	if n := gh.Fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for three reports with one key, want 1", n)
	}
	for i := range 5 {
		if err := keys.Verify(ctx, body, fmt.Sprintf("made-up-%d", i), "c2ln"); !errors.Is(err, leak.ErrUnknownKey) {
			t.Fatalf("made-up key id: %v, want ErrUnknownKey", err)
		}
	}
	// GitHub rotates: k2 is published. Within MinRefresh of the last
	// fetch it is not looked for; after it, one fetch finds it.
	gh.add(t, "k2")
	c.now = c.now.Add(leak.MinRefresh - time.Second)
	if err := keys.Verify(ctx, body, "k2", gh.sign(t, "k2", body)); !errors.Is(err, leak.ErrUnknownKey) {
		t.Fatalf("k2 within the refresh limit: %v, want ErrUnknownKey", err)
	}
	if n := gh.Fetches.Load(); n != 1 {
		t.Fatalf("%d fetches after unknown key ids within MinRefresh, want 1", n)
	}
	c.now = c.now.Add(2 * time.Second)
	if err := keys.Verify(ctx, body, "k2", gh.sign(t, "k2", body)); err != nil {
		t.Fatalf("k2 after the refresh limit: %v", err)
	}
	if err := keys.Verify(ctx, body, "k1", gh.sign(t, "k1", body)); err != nil {
		t.Fatalf("k1 still published: %v", err)
	}
	if n := gh.Fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestKeyServerFailures(t *testing.T) {
	for name, handler := range map[string]http.HandlerFunc{
		"500":      func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 500) },
		"not JSON": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "<html>") },
		"no keys":  func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"public_keys":[]}`) },
		"an RSA key": func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, `{"public_keys":[{"key_identifier":"k1","key":"-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END PUBLIC KEY-----\n"}]}`)
		},
		"a huge reply": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, strings.Repeat(" ", 300<<10)) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(handler)
			defer srv.Close()
			err := leak.NewKeys(srv.URL).Verify(context.Background(), []byte("[]"), "k1", "c2ln")
			if err == nil || errors.Is(err, leak.ErrUnknownKey) || errors.Is(err, leak.ErrUnsigned) {
				t.Fatalf("Verify: %v, want the key server's error", err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	entry := `{"token":"pat_x","type":"pat_token","url":"https://github.com/o/r/blob/1/a.env","source":"content"}`
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"token":"t"},`, leak.MaxEntries+1), ",") + "]"
	cases := []struct {
		name string
		body string
		want error
		n    int
	}{
		{"one entry", "[" + entry + "]", nil, 1},
		{"fields GitHub may add are ignored", `[{"token":"t","type":"x","url":"u","source":"commit","extra":1}]`, nil, 1},
		{"at most MaxEntries", "[" + strings.TrimSuffix(strings.Repeat(`{"token":"t"},`, leak.MaxEntries), ",") + "]", nil, leak.MaxEntries},
		{"more entries", many, leak.ErrMalformed, 0},
		{"over the size limit", "[" + strings.Repeat(" ", leak.MaxBodyBytes) + entry + "]", leak.ErrTooLarge, 0},
		{"an object, not an array", entry, leak.ErrMalformed, 0},
		{"empty array", "[]", leak.ErrMalformed, 0},
		{"no token", `[{"type":"x"}]`, leak.ErrMalformed, 0},
		{"token not a string", `[{"token":1}]`, leak.ErrMalformed, 0},
		{"trailing data", "[" + entry + "] []", leak.ErrMalformed, 0},
		{"not UTF-8", "[{\"token\":\"\xff\"}]", leak.ErrMalformed, 0},
		{"a field too long", `[{"token":"t","url":"` + strings.Repeat("u", 3000) + `"}]`, leak.ErrMalformed, 0},
		{"empty body", "", leak.ErrMalformed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := leak.Parse([]byte(c.body))
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("Parse: %v, want %v", err, c.want)
			}
			if len(got) != c.n {
				t.Errorf("%d entries, want %d", len(got), c.n)
			}
		})
	}
	got, _ := leak.Parse([]byte("[" + entry + "]"))
	if want := (leak.Entry{Token: "pat_x", Type: "pat_token", URL: "https://github.com/o/r/blob/1/a.env", Source: "content"}); got[0] != want {
		t.Errorf("entry %+v, want %+v", got[0], want)
	}
}
