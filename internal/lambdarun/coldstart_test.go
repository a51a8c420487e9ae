package lambdarun_test

import (
	"context"
	"maps"
	"os"
	"strings"
	"testing"
)

// A function whose cold start fails (a variable missing from its
// environment, a bad value) fails its invocation with the reason it
// logged and what the runtime reported, as Lambda reports an init error.
func TestColdStartFailureNamesItsCause(t *testing.T) {
	s := newSuite(t)
	for _, tc := range []struct {
		name   string
		change func(env map[string]string)
		says   []string
	}{
		{"a variable missing", func(env map[string]string) { delete(env, "CURSOR_KEY_SECRET_ARN") }, []string{"cold start failed", "CURSOR_KEY_SECRET_ARN is required"}},
		// A secret that cannot be read (deleted, or another stack's) fails
		// the cold start with Secrets Manager's reason, never a key.
		{"the cursor key's secret unreadable", func(env map[string]string) {
			env["CURSOR_KEY_SECRET_ARN"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-secret-AbCdEf"
		}, []string{"cold start failed", "CURSOR_KEY_SECRET_ARN", "read AWSCURRENT", "ResourceNotFoundException"}},
		{"a bad value", func(env map[string]string) { env["DEFAULT_EXPIRY_DAYS"] = "soon" }, []string{"cold start failed", "DEFAULT_EXPIRY_DAYS", "want a whole number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := s.world(t, "create-token")
			fn := w.fn
			fn.Env = maps.Clone(fn.Env)
			tc.change(fn.Env)
			e := s.start(t, w.stack, fn, "", "", os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
			_, err := e.Invoke(context.Background(), w.event(t, "create-token"))
			if err == nil {
				t.Fatal("the invocation succeeded")
			}
			for _, want := range append(tc.says, "Runtime exited with error: exit status 1") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the failure does not say %q: %v", want, err)
				}
			}
		})
	}
}
