package lambdarun_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// Every function's environment in the template is exactly what its code
// reads: what its cold start logs as read (config.Variables, through
// coldstart.Must) when it runs under the Lambda runtime with the
// template's environment. A variable read but never set falls back on a
// default no operator can see or change; one set but never read is a
// setting that does nothing, and for the authorizer a change of it would
// still publish a new version (AutoPublishAliasAllProperties). A function
// without configuration (echo, the problem pages) logs no cold start and
// gets no variables.
func TestEveryFunctionsEnvironmentIsWhatItReads(t *testing.T) {
	s := newSuite(t)
	st := s.stack(t, anyTables, newSecret(t))
	fns, err := st.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		t.Run(fn.Dir, func(t *testing.T) {
			t.Parallel()
			w := &world{s: s, subst: map[string]string{}}
			samples := samples(t, s.root, fn.Dir)
			if len(samples) == 0 {
				t.Fatalf("%s has no sample event in events/", fn.LogicalID)
			}
			// The answer does not matter (the tables do not exist): the cold
			// start has logged what it read before the event is handled.
			e := s.start(t, st, fn, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), os.Getenv("AWS_ENDPOINT_URL_SES"), os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
			if _, err := e.Invoke(context.Background(), w.event(t, samples[0])); err != nil && strings.Contains(err.Error(), "cold start failed") {
				t.Fatalf("the cold start failed with the template's environment: %v", err)
			}
			var read []string
			starts := 0
			for _, l := range e.Lines() {
				msg, _ := l.Fields["message"].(string)
				if msg == "" {
					msg, _ = l.Fields["msg"].(string)
				}
				if msg != "cold start" {
					continue
				}
				starts++
				vars, _ := l.Fields["variables"].([]any)
				for _, v := range vars {
					read = append(read, v.(string))
				}
			}
			if starts > 1 {
				t.Fatalf("%d cold start lines, want at most one", starts)
			}
			set := slices.Sorted(maps.Keys(fn.Env))
			for _, v := range read {
				if !slices.Contains(set, v) {
					t.Errorf("%s reads %s, which the template does not set: add it to the function's Environment (a parameter or a fixed value)", fn.LogicalID, v)
				}
			}
			for _, v := range set {
				if !slices.Contains(read, v) {
					t.Errorf("the template sets %s for %s, which never reads it: remove it from the function's Environment", v, fn.LogicalID)
				}
			}
		})
	}
}
