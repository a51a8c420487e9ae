package pat

import (
	"fmt"
	"testing"
)

// Every chunk of a bulk revocation fits one transaction, whatever the mix
// of owners, and every token is in exactly one chunk.
func TestChunksFitOneTransaction(t *testing.T) {
	for _, c := range []struct {
		tokens, owners int
		notify         bool
	}{{250, 1, true}, {250, 1, false}, {100, 100, true}, {300, 7, true}, {1, 1, true}, {0, 1, true}} {
		var tokens []Token
		for i := range c.tokens {
			tokens = append(tokens, Token{ID: fmt.Sprint(i), UserID: fmt.Sprint("u", i%c.owners)})
		}
		seen := map[string]bool{}
		for _, chunk := range chunks(tokens, c.notify) {
			owners := map[string]bool{}
			for _, tok := range chunk {
				owners[tok.UserID] = true
				if seen[tok.ID] {
					t.Fatalf("%+v: token %s in two chunks", c, tok.ID)
				}
				seen[tok.ID] = true
			}
			perOwner := 1
			if c.notify {
				perOwner = 2
			}
			if items := 2*len(chunk) + perOwner*len(owners); items > MaxTransactItems || len(chunk) == 0 {
				t.Fatalf("%+v: a chunk of %d tokens and %d owners needs %d items", c, len(chunk), len(owners), items)
			}
		}
		if len(seen) != c.tokens {
			t.Fatalf("%+v: %d tokens chunked", c, len(seen))
		}
	}
	if n := len(chunks(make([]Token, 250), true)); n != 6 {
		t.Fatalf("250 tokens of one owner in %d chunks, want 6 (49 each)", n)
	}
}
