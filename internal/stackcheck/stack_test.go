package stackcheck_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/samstack"
)

// Local names of what the checks resolve.
const (
	tokensARN = "arn:aws:dynamodb:us-east-1:000000000000:table/tokens"
	auditARN  = "arn:aws:dynamodb:us-east-1:000000000000:table/audit"
)

// existingIssuer are the parameters of a deployment on an existing
// identity provider instead of the stack's user pool.
var existingIssuer = map[string]string{"CreateUserPool": "false", "JwtIssuer": "https://login.example.com/",
	"JwtAudience": "console", "OidcAuthorizeUrl": "https://login.example.com/authorize", "OidcTokenUrl": "https://login.example.com/token"}

// transformed are the templates, transformed once for all the checks.
var transformed struct {
	once sync.Once
	t    samstack.Templates
	err  error
}

// load is the stack as deployed with the template's defaults (MailFrom
// has none), changed by params.
func load(tb testing.TB, params map[string]string) *samstack.Stack {
	tb.Helper()
	localstack.RequireSAMTranslator(tb)
	transformed.once.Do(func() { transformed.t, transformed.err = samstack.Transform(localstack.RepoRoot(tb)) })
	if transformed.err != nil {
		tb.Fatal(transformed.err)
	}
	values := map[string]string{"MailFrom": "tokens@example.com"}
	maps.Copy(values, params)
	s, err := samstack.Parse(transformed.t, samstack.Local{
		Params:  values,
		Names:   map[string]string{"TokensTable": "tokens", "AuditTable": "audit"},
		Secrets: map[string]string{"CursorKeySecret": "c3RhY2tjaGVjazogYSBjdXJzb3Iga2V5IG9mIDMyKyBieXRlcw"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// resource returns a resource of any of the stacks, with its stack.
func resource(tb testing.TB, s *samstack.Stack, id string) (*samstack.Stack, samstack.Resource) {
	tb.Helper()
	st, ok := s.Find(id)
	if !ok {
		tb.Fatalf("no resource %s in template.yaml or the stacks it nests", id)
	}
	return st, st.Resources[id]
}

// resolve resolves v in st, failing the test if it cannot.
func resolve(tb testing.TB, st *samstack.Stack, v any) any {
	tb.Helper()
	r, err := st.Resolve(v)
	if err != nil {
		tb.Fatalf("%s: %v", st.File, err)
	}
	return r
}

// source returns a resource as written in its template (intrinsics in
// their long form), or nil.
func source(st *samstack.Stack, id string) map[string]any {
	resources, _ := st.Source["Resources"].(map[string]any)
	r, _ := resources[id].(map[string]any)
	return r
}

// get follows keys through nested maps; nil when one is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// is reports whether v, in st, stands for the intrinsic want (such as
// {"Ref": "AlarmTopic"}) where it is written: a value passed to a nested
// stack is followed to where it comes from.
func is(st *samstack.Stack, v any, want map[string]any) bool {
	_, origin := st.Origin(v)
	a, _ := json.Marshal(origin)
	b, _ := json.Marshal(want)
	return bytes.Equal(a, b)
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

// kebab turns AuthorizerDecisionErrors into authorizer-decision-errors.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
