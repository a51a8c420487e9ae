package lambdarun_test

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
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

// sampleKeyID is the key id events/report-leaks.json names.
const sampleKeyID = "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c"

// keyServer publishes a key generated in the test under sampleKeyID, in
// GitHub's format, on 127.0.0.1 (LEAK_REPORT_KEYS_URL takes http only to
// a loopback address); it returns the URL and the private key.
func keyServer(t *testing.T) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{
		"key_identifier": sampleKeyID, "key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
	t.Cleanup(srv.Close)
	return srv.URL, key
}

// signingKeys are the keys of the report-leaks worlds, by test.
var signingKeys = map[string]*ecdsa.PrivateKey{}

// mailing are the parameters that make the leak functions mail at once,
// to the owner and to the administrators.
func mailing(more map[string]string) map[string]string {
	p := map[string]string{"ConsoleBaseUrl": "https://tokens.example.com/console", "AdminNotifyEmail": "security@example.com"}
	for k, v := range more {
		p[k] = v
	}
	return p
}

func revoked(t *testing.T, w *world, _ response) {
	t.Helper()
	tok, err := w.Service.GetToken(context.Background(), pat.Identity{UserID: "user-alice"}, w.subst[sampleTokenID])
	if err != nil {
		t.Fatal(err)
	}
	if tok.Status != pat.StatusRevoked {
		t.Fatalf("the reported token is %s, want revoked", tok.Status)
	}
}

func header(name, value string) edit {
	return func(ev map[string]any) { ev["headers"].(map[string]any)[name] = value }
}

func init() {
	cases["report-leaks"] = fnCase{
		params: func(t *testing.T) map[string]string {
			url, key := keyServer(t)
			signingKeys[t.Name()] = key
			return mailing(map[string]string{"LeakReportKeysUrl": url})
		},
		seed: func(t *testing.T, w *world) {
			seedToken(t, w)
			// GitHub signs the body as sent: with the seeded token in it.
			raw, err := os.ReadFile(filepath.Join(w.s.root, "events", "report-leaks.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ev struct{ Body string }
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(strings.ReplaceAll(ev.Body, "pat_REPLACEDBYTHETEST", w.subst["pat_REPLACEDBYTHETEST"])))
			sig, err := ecdsa.SignASN1(rand.Reader, signingKeys[t.Name()], sum[:])
			if err != nil {
				t.Fatal(err)
			}
			w.subst["REPLACEDBYTHETEST"] = base64.StdEncoding.EncodeToString(sig)
		},
		runs: []run{
			api("no signature", "report-leaks", true, http.StatusUnauthorized, "unauthenticated", nil, header("github-public-key-signature", "")),
			api("a signature by another key", "report-leaks", true, http.StatusUnauthorized, "unauthenticated", nil,
				header("github-public-key-signature", "MEUCIQDu3iSBfwJ5kDTDaYh4xQUjX9HHPr3AWyS7lN7s2H9kKQIgV1cU7xO6ZQ2rbZQyq3oD3oH0mXQy2g3M0jW3b3fU4Yw=")),
			api("sample", "report-leaks", false, http.StatusOK, "", func(t *testing.T, w *world, r response) {
				var verdicts []map[string]string
				if err := json.Unmarshal(r.Body, &verdicts); err != nil || len(verdicts) != 1 || verdicts[0]["label"] != "true_positive" {
					t.Fatalf("feedback %s, want one true_positive", r.Body)
				}
				revoked(t, w, r)
			}),
			api("the same report again", "report-leaks", true, http.StatusConflict, "conflict", nil),
		},
	}
	cases["report-leaked-token"] = fnCase{
		params: func(*testing.T) map[string]string { return mailing(nil) },
		seed:   seedToken,
		runs: []run{
			wrongUser("report-leaked-token"),
			api("not a web address", "report-leaked-token", true, http.StatusBadRequest, "invalid_request", nil, body(`{"url":"file:///etc/passwd"}`)),
			sample("report-leaked-token", http.StatusOK, func(t *testing.T, w *world, r response) {
				field("status", "revoked")(t, w, r)
				revoked(t, w, r)
			}),
			api("a revoked token", "report-leaked-token", true, http.StatusConflict, "token_not_active", nil),
		},
	}
	cases["admin-report-leaked-token"] = fnCase{
		params: func(*testing.T) map[string]string { return mailing(nil) },
		seed:   seedToken,
		runs: []run{
			notAdmin("admin-report-leaked-token"),
			sample("admin-report-leaked-token", http.StatusOK, func(t *testing.T, w *world, r response) {
				field("status", "revoked")(t, w, r)
				revoked(t, w, r)
			}),
		},
	}
}
