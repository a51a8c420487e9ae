package dynamo

import (
	"fmt"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

// Every batch of a revocation fits one transaction, whatever the mix of
// owners, every token is in exactly one batch, and an owner's tokens are
// cut only when they do not fit one.
func TestBatchesFitOneTransaction(t *testing.T) {
	for _, c := range []struct {
		tokens, owners int
		notify         bool
	}{{250, 1, true}, {250, 1, false}, {100, 100, true}, {300, 7, true}, {1, 1, true}, {0, 1, true}} {
		var todo []revocation
		for i := range c.tokens {
			todo = append(todo, revocation{token: pat.Token{ID: fmt.Sprint(i), UserID: fmt.Sprint("u", i%c.owners)}})
		}
		seen := map[string]bool{}
		all := batches(todo, c.notify)
		for i, batch := range all {
			owners := map[string]bool{}
			for _, r := range batch {
				owners[r.token.UserID] = true
				if seen[r.token.ID] {
					t.Fatalf("%+v: token %s in two batches", c, r.token.ID)
				}
				seen[r.token.ID] = true
			}
			perOwner := 1
			if c.notify {
				perOwner = 2
			}
			items := revocationItems*len(batch) + perOwner*len(owners)
			if items > maxTransactItems || len(batch) == 0 {
				t.Fatalf("%+v: a batch of %d tokens and %d owners needs %d items", c, len(batch), len(owners), items)
			}
			if i+1 < len(all) && all[i+1][0].token.UserID == batch[len(batch)-1].token.UserID && items+revocationItems <= maxTransactItems {
				t.Fatalf("%+v: owner %s cut between batches with room left", c, batch[len(batch)-1].token.UserID)
			}
		}
		if len(seen) != c.tokens {
			t.Fatalf("%+v: %d tokens in batches", c, len(seen))
		}
	}
	if n := len(batches(make([]revocation, 250), true)); n != 8 {
		t.Fatalf("250 tokens of one owner in %d batches, want 8 (32 each)", n)
	}
}

// The bound of an owner's live tokens is what one owner change can write:
// the user, every live token, the audit event and a notice.
func TestMaxTokensPerOwnerFitsAnOwnerChange(t *testing.T) {
	if items := 1 + MaxTokensPerOwner + 1 + 1; items != maxTransactItems {
		t.Fatalf("an owner change of %d live tokens writes %d items; DynamoDB takes %d", MaxTokensPerOwner, items, maxTransactItems)
	}
}
