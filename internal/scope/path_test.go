package scope

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The paths the authorizer decides on, as a REST API passes them (still
// percent-encoded) and as an HTTP API does (decoded once): every spelling
// a backend could resolve into another resource is refused, and ordinary
// paths, encoded or not, still map to their resource's scope.
func TestRequiredRefusesPathsABackendCouldReadDifferently(t *testing.T) {
	c := mustDefault(t)
	allowed := map[string]string{
		"/api/crm":                                    "crm:read",
		"/api/crm/":                                   "crm:read",
		"/api/crm/contacts/7":                         "crm:read",
		"/api/crm/contacts/M%C3%BCller%20GmbH":        "crm:read", // REST: encoded UTF-8 and space
		"/api/crm/contacts/Müller GmbH":               "crm:read", // HTTP API: the same, decoded
		"/api/crm/contacts/a%40b.example":             "crm:read", // an escaped "@" is fine
		"/api/crm/contacts/a@b.example,c=d+e":         "crm:read",
		"/api/crm/contacts/x:export":                  "crm:read",
		"/api/crm/contacts/%E2%9C%93":                 "crm:read", // ✓, a symbol
		"/api/crm/contacts/.profile":                  "crm:read", // a dot file is a name, not a dot segment
		"/api/crm/contacts/v1.2..3":                   "crm:read",
		"/api/orders/%7B%22q%22%3A1%7D":               "orders:read",
		"/api/accounting/invoices/%E6%97%A5%E6%9C%AC": "accounting:read",
	}
	for path, want := range allowed {
		if got, ok := c.Required("GET", path); !ok || got != want {
			t.Errorf("Required(GET %q) = %q, %v; want %s", path, got, ok, want)
		}
	}
	refused := []string{
		// Path parameters: Tomcat, Jetty and Spring cut ";..." from a segment, then resolve it.
		"/api/crm/..;/accounting/invoices",
		"/api/crm/..;a=b/accounting/invoices",
		"/api/crm;x=1/contacts",
		"/api/crm/contacts;jsessionid=1",
		"/api/crm/%3b/x", "/api/crm/..%3B/accounting",
		// Dot segments in any spelling.
		"/api/crm/../accounting/x", "/api/crm/./x", "/api/crm/..", "/api/crm/...", "/api/crm/. /x", "/api/crm/.%20",
		"/api/crm/%2e%2e/accounting", "/api/crm/.%2e/accounting", "/api/crm/%2E./accounting", "/api/crm/%2e",
		// Encoded slashes, backslashes and percent signs (a second decoding).
		"/api/crm%2F..%2Faccounting", "/api/crm/%2f", "/api/crm/..%5caccounting", "/api/crm/..\\accounting", "/api/crm\\x",
		"/api/crm/%252e%252e/accounting", "/api/crm/%25", "/api/crm/100%", "/api/crm/%zz", "/api/crm/%4",
		// Escapes of characters that never need one.
		"/api/%63rm/x", "/api/crm/%41", "/api/crm/%7e", "/api/crm/%2d",
		// NUL and other control characters, literal or encoded.
		"/api/crm/%00/x", "/api/crm/\x00", "/api/crm/x%0d%0aSet-Cookie:a", "/api/crm/x\t", "/api/crm/%7f", "/api/crm/\x7f",
		// Query and fragment delimiters inside the path (an HTTP API decoded %3F, %23).
		"/api/crm/x?y", "/api/crm/x#y", "/api/crm/%3f", "/api/crm/%23",
		// Overlong and otherwise invalid UTF-8: "%c0%ae" is "." in an overlong form.
		"/api/crm/%c0%ae%c0%ae/accounting", "/api/crm/%c0%af", "/api/crm/%e0%80%ae", "/api/crm/%f0%80%80%ae",
		"/api/crm/\xc0\xae\xc0\xae/accounting", "/api/crm/%ed%a0%80", "/api/crm/%c3", "/api/crm/%c3/x", "/api/crm/%c3a",
		"/api/crm/%ff", "/api/crm/%ef%bf%bd",
		// Characters that normalize to path syntax: full-width and small dots, slashes, semicolons, percent, ¥.
		"/api/crm/%ef%bc%8e%ef%bc%8e/accounting", "/api/crm/．．/accounting", "/api/crm/..／accounting",
		"/api/crm/%ef%bc%8f", "/api/crm/﹒﹒", "/api/crm/＼", "/api/crm/..；/accounting", "/api/crm/%c2%a5", "/api/crm/∕",
		"/api/crm/⒈", "/api/crm/x℀y", "/api/crm/%e2%80%ae", "/api/crm/\u00a0", "/api/crm/\u200b", "/api/crm/\ue000",
		// Empty segments and relative paths.
		"/api/crm//x", "//api/crm", "/api//crm", "api/crm", "", "%2Fapi/crm",
	}
	for _, path := range refused {
		if got, ok := c.Required("GET", path); ok {
			t.Errorf("Required(GET %q) = %q: a path a backend could read differently must match nothing", path, got)
		}
		if CanonicalPath(path) {
			t.Errorf("CanonicalPath(%q) = true", path)
		}
	}
}

// compatPunct must hold every character pathRune would otherwise let pass
// whose compatibility form (NFKC, what a normalizing server reads) holds
// path syntax or a control character.
func TestCompatPunctCoversNormalizationToPathSyntax(t *testing.T) {
	for r := rune(utf8RuneSelf); r <= unicode.MaxRune; r++ {
		if !pathRune(r) {
			continue
		}
		nfkc := norm.NFKC.String(string(r))
		if strings.ContainsAny(nfkc, "./\\;%?#") || strings.ContainsFunc(nfkc, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			t.Errorf("%U %q normalizes to %q and passes", r, string(r), nfkc)
		}
	}
}

const utf8RuneSelf = 0x80
