// Package localstack holds what the integration tests share: a client for
// the local stack (DynamoDB Local and the SES emulator started by
// infra/stack.sh), fresh tables from the template for each test, the sample
// events of events/, the after-suite check that no secret was stored or
// logged, and what makes the stack as strict as AWS where it is kinder: an
// SES proxy that refuses as SES does, and log lines written and read as
// Lambda and CloudWatch Logs write and read them.
package localstack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/awsclient"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/samstack"
)

// Tables names the tables one test uses.
type Tables struct {
	Tokens string
	Audit  string
}

// Client returns a DynamoDB client for DynamoDB Local. Without the local
// stack (PAT_LOCAL_STACK unset) the test is skipped; `make test` always sets
// it, and then an unreachable DynamoDB fails the test.
func Client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	if os.Getenv("PAT_LOCAL_STACK") == "" {
		tb.Skip("needs the local stack: run through `make test` (infra/stack.sh)")
	}
	db, err := awsclient.DynamoDB()
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// MustTables creates a fresh pair of tables from the template.
func MustTables(tb testing.TB, db *dynamodb.Client) Tables {
	tb.Helper()
	specs := MustSpecs(tb)
	suffix := rand.Text()[:8]
	t := Tables{Tokens: "tokens-" + suffix, Audit: "audit-" + suffix}
	for id, name := range map[string]string{"TokensTable": t.Tokens, "AuditTable": t.Audit} {
		if err := dynamo.EnsureTable(context.Background(), db, specs[id], name); err != nil {
			tb.Fatal(err)
		}
	}
	return t
}

// MustSpecs reads the tables the repository's template.yaml deploys (in
// the stacks it nests).
func MustSpecs(tb testing.TB) map[string]dynamo.TableSpec {
	tb.Helper()
	specs, err := Specs(RepoRoot(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return specs
}

// Specs reads the tables the template.yaml of the repository at root
// deploys, as internal/samstack resolves them.
func Specs(root string) (map[string]dynamo.TableSpec, error) {
	s, err := samstack.Load(root, samstack.Local{})
	if err != nil {
		return nil, err
	}
	tables, err := s.Resolved("AWS::DynamoDB::Table")
	if err != nil {
		return nil, err
	}
	return dynamo.ParseTables(tables)
}

// Event loads a sample event from the repository's events/ folder.
func Event[T any](tb testing.TB, name string) T {
	tb.Helper()
	var ev T
	data, err := os.ReadFile(filepath.Join(RepoRoot(tb), "events", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		tb.Fatalf("events/%s.json: %v", name, err)
	}
	return ev
}

// RepoRoot finds the directory holding go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Dump returns every item of a table, for tests that inspect what is stored.
func Dump(tb testing.TB, db *dynamodb.Client, table string) []map[string]types.AttributeValue {
	tb.Helper()
	items, err := scanAll(db, table)
	if err != nil {
		tb.Fatal(err)
	}
	return items
}

func scanAll(db *dynamodb.Client, table string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", table, err)
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

// Email is a mail the SES emulator received.
type Email struct {
	From        string `json:"from"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
}

// Inbox reads the mails the SES emulator received for address.
func Inbox(tb testing.TB, address string) []Email {
	tb.Helper()
	resp, err := http.Get(os.Getenv("SES_INBOX_URL") + "/store")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		tb.Fatal(err)
	}
	var mine []Email
	for _, m := range store.Emails {
		if slices.Contains(m.Destination.To, address) {
			mine = append(mine, m)
		}
	}
	return mine
}

// RequireSAMTranslator skips tb when the SAM translator (python3's
// aws-sam-translator) is missing, unless the local stack is up
// (infra/stack.sh, make test): there the IAM, template and alarm checks
// that read the templates as deployed must run, not skip.
func RequireSAMTranslator(tb testing.TB) {
	tb.Helper()
	if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
		if os.Getenv("PAT_LOCAL_STACK") != "" {
			tb.Fatal("the SAM translator (python3's aws-sam-translator) is not installed: the checks of the templates as deployed cannot run")
		}
		tb.Skip("the SAM translator (python3's aws-sam-translator) is not installed")
	}
}
