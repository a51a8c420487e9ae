package localstack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Ledger remembers every plaintext token a test package was given, every
// table it created and every log line it wrote, so that TestMain can prove,
// after the whole suite, that no table item and no log line holds a token
// or a secret part of one.
type Ledger struct {
	mu      sync.Mutex
	secrets []string
	tables  []string
	db      *dynamodb.Client
	// Logs collects the package's log lines; give it to the loggers under test.
	Logs SyncBuffer
}

// SyncBuffer is a log sink that goroutines may share.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// AddToken records a plaintext token.
func (l *Ledger) AddToken(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.secrets = append(l.secrets, token)
}

// AddTables records tables to inspect, and the client to read them with.
func (l *Ledger) AddTables(db *dynamodb.Client, t Tables) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.db = db
	l.tables = append(l.tables, t.Tokens, t.Audit)
}

// Main runs the package's tests, then the check, for TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }
func (l *Ledger) Main(m *testing.M) int {
	code := m.Run()
	l.mu.Lock()
	ran := l.db != nil && len(l.secrets) > 0 // a benchmark-only run issues no token
	l.mu.Unlock()
	if code != 0 || !ran {
		return code
	}
	if err := l.check(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: secrets leaked:", err)
		return 1
	}
	fmt.Printf("secret check: %d tokens; no table item or log line holds any part of their secrets\n", len(l.secrets))
	return 0
}

// check dumps every recorded table and searches it, the logs and every
// mail the SES emulator received for each token's secret and every
// 20-character run of it.
func (l *Ledger) check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var dump strings.Builder
	for _, table := range l.tables {
		items, err := scanAll(l.db, table)
		if err != nil {
			return err
		}
		for _, item := range items {
			fmt.Fprintf(&dump, "%#v\n", item)
		}
	}
	haystacks := map[string]string{"table items": dump.String(), "logs": l.Logs.String()}
	if os.Getenv("SES_INBOX_URL") != "" {
		mails, err := allMail()
		if err != nil {
			return err
		}
		haystacks["mails"] = mails
	}
	for _, tok := range l.secrets {
		// A token's public part (prefix and id) may be shown; a value
		// recorded without one (another kind of secret) is secret whole.
		public, secret := "", tok
		if i := strings.LastIndex(tok, "_"); i >= 0 {
			public, secret = tok[:i], tok[i+1:]
		}
		for i := 0; i+20 <= len(secret); i++ {
			for where, text := range haystacks {
				if strings.Contains(text, secret[i:i+20]) {
					return fmt.Errorf("the %s contain part of the secret %s", where, cmp.Or(public, "recorded without a public part"))
				}
			}
		}
	}
	return nil
}

// allMail is every mail the SES emulator received, as text: subjects and
// both parts.
func allMail() (string, error) {
	resp, err := http.Get(os.Getenv("SES_INBOX_URL") + "/store")
	if err != nil {
		return "", fmt.Errorf("read the SES emulator's mails: %w", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return "", fmt.Errorf("decode the SES emulator's mails: %w", err)
	}
	var all strings.Builder
	for _, m := range store.Emails {
		fmt.Fprintf(&all, "%s\n%s\n%s\n", m.Subject, m.Body.Text, m.Body.HTML)
	}
	return all.String(), nil
}
