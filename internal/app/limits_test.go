package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/dynamo"
)

// The cap of active tokens a deployment sets is refused at cold start
// above what the store can hold for one owner, naming the setting and the
// bound; up to the bound it is taken as it is.
func TestMaxActiveTokensWithinStore(t *testing.T) {
	for _, c := range []struct {
		value int
		ok    bool
	}{{1, true}, {dynamo.MaxTokensPerOwner, true}, {dynamo.MaxTokensPerOwner + 1, false}, {300, false}} {
		t.Run(fmt.Sprint(c.value), func(t *testing.T) {
			t.Setenv("TABLE_NAME", "tokens")
			t.Setenv("AUDIT_TABLE_NAME", "audit")
			t.Setenv("CURSOR_KEY_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pat-cursor-key-AbCdEf")
			t.Setenv("MAX_ACTIVE_TOKENS", fmt.Sprint(c.value))
			cfg, err := fromEnv()
			switch {
			case c.ok && (err != nil || cfg.Rules.MaxActiveTokens != c.value):
				t.Fatalf("refused or changed: %d, %v", cfg.Rules.MaxActiveTokens, err)
			case !c.ok && (err == nil || !strings.Contains(err.Error(), "MAX_ACTIVE_TOKENS") || !strings.Contains(err.Error(), fmt.Sprint(dynamo.MaxTokensPerOwner))):
				t.Fatalf("err = %v, want it to name MAX_ACTIVE_TOKENS and %d", err, dynamo.MaxTokensPerOwner)
			}
		})
	}
}
