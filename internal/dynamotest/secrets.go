package dynamotest

import (
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Ledger remembers every plaintext token a test package was given and every
// table it created, so that TestMain can prove, after the whole suite, that
// no table item and no log line holds a token or a secret part of one.
type Ledger struct {
	mu      sync.Mutex
	secrets []string
	tables  []string
}

// AddToken records a plaintext token.
func (l *Ledger) AddToken(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.secrets = append(l.secrets, token)
}

// AddTables records tables to inspect.
func (l *Ledger) AddTables(t Tables) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tables = append(l.tables, t.Tokens, t.Audit)
}

// Tokens returns how many tokens were recorded.
func (l *Ledger) Tokens() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.secrets)
}

// Check dumps every recorded table and searches it and logs for each token,
// its secret part, and any 20-character run of that secret.
func (l *Ledger) Check(db *dynamodb.Client, logs string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var dump strings.Builder
	for _, table := range l.tables {
		items, err := scanAll(db, table)
		if err != nil {
			return err
		}
		for _, item := range items {
			fmt.Fprintf(&dump, "%#v\n", item)
		}
	}
	haystacks := map[string]string{"table items": dump.String(), "logs": logs}
	for _, tok := range l.secrets {
		secret := tok[strings.LastIndex(tok, "_")+1:]
		for i := 0; i+20 <= len(secret); i++ {
			for where, text := range haystacks {
				if strings.Contains(text, secret[i:i+20]) {
					return fmt.Errorf("the %s contain part of the secret of token %s", where, tok[:strings.LastIndex(tok, "_")])
				}
			}
		}
	}
	return nil
}
