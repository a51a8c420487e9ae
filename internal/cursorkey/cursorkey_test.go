package cursorkey_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/patservice/pat/internal/cursorkey"
	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// client is Secrets Manager of the local stack (moto's server, started by
// infra/stack.sh), which moves the staging labels as AWS does.
func client(t *testing.T) *secretsmanager.Client {
	t.Helper()
	localstack.Client(t) // skips without the local stack
	if os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER") == "" {
		t.Fatal("AWS_ENDPOINT_URL_SECRETS_MANAGER is not set: infra/stack.sh starts moto's server for Secrets Manager")
	}
	sm, err := cursorkey.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

func newKey() string { return base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text())) }

// A rotation as the operations guide does it (put-secret-value): lists
// resumed with a cursor sealed before it go on, a cursor sealed with a key
// two rotations old is refused as invalid_cursor (a 400: httpapi's error
// table), and nothing is
// deployed: a warm instance takes the new key within TTL.
func TestRotationKeepsCursorsOfThePreviousKey(t *testing.T) {
	sm := client(t)
	ctx := context.Background()
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cursor-key-" + rand.Text()[:8]), SecretString: aws.String(newKey())})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ARN)
	rotate := func() {
		t.Helper()
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(newKey())}); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	ring, err := cursorkey.Load(ctx, sm, arn, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	ring.Now = func() time.Time { return clock }
	if n := len(ring.CursorKeys()); n != 1 {
		t.Fatalf("%d keys before any rotation, want the current one", n)
	}

	// A list of three tokens, two a page, on DynamoDB Local.
	db := localstack.Client(t)
	tables := localstack.MustTables(t, db)
	store := dynamo.NewStore(db, tables.Tokens, tables.Audit)
	store.SetCursorKeys(ring)
	for i := range 3 {
		exp := clock.Add(24 * time.Hour)
		tok := pat.Token{ID: "tok" + rand.Text()[:8], UserID: "alice", Name: "t", Scopes: []string{"crm:read"}, Digest: []byte{byte(i)},
			Status: pat.StatusActive, CreatedAt: clock.Add(time.Duration(i) * time.Second), ExpiresAt: &exp, DeleteAfter: exp}
		item, err := dynamo.TokenItem(tok)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tables.Tokens), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	page := func(cursor string) (pat.Page[pat.Token], error) {
		return store.ListTokens(ctx, "alice", pat.OwnTokenFilter{}, pat.PageRequest{Limit: 2, Cursor: cursor, List: "tokens"})
	}
	first, err := page("")
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %+v %v", first, err)
	}

	rotate()
	if got := len(ring.CursorKeys()); got != 1 {
		t.Fatalf("the ring read Secrets Manager again before its TTL (%d keys)", got)
	}
	clock = clock.Add(cursorkey.TTL)
	if n := len(ring.CursorKeys()); n != 2 {
		t.Fatalf("%d keys after a rotation and TTL, want the new current and the previous", n)
	}
	if rest, err := page(first.Next); err != nil || len(rest.Items) != 1 {
		t.Fatalf("a cursor sealed before the rotation, after it: %+v %v", rest, err)
	}
	second, err := page("")
	if err != nil || second.Next == "" {
		t.Fatal(err)
	}

	rotate()
	clock = clock.Add(cursorkey.TTL)
	if _, err := page(first.Next); pat.ErrorCode(err) != pat.CodeInvalidCursor {
		t.Fatalf("a cursor of a key two rotations old: %v, want invalid_cursor", err)
	}
	if _, err := page(second.Next); err != nil {
		t.Fatalf("a cursor of the previous key after the second rotation: %v", err)
	}
	if strings.Contains(logs.String(), "not refreshed") {
		t.Fatalf("a refresh failed: %s", logs.String())
	}
}

// failing is Secrets Manager out of reach.
type failing struct{}

func (failing) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return nil, errors.New("connection refused")
}

// A refresh that fails keeps the keys read before, logs once, and tries
// again only after TTL; a cold start that cannot read the key fails.
func TestFailedRefreshKeepsTheKeys(t *testing.T) {
	sm := client(t)
	ctx := context.Background()
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cursor-key-" + rand.Text()[:8]), SecretString: aws.String(newKey())})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	api := &switchable{API: sm}
	ring, err := cursorkey.Load(ctx, api, aws.ToString(out.ARN), log)
	if err != nil {
		t.Fatal(err)
	}
	before := ring.CursorKeys()[0]
	clock := time.Now().Add(cursorkey.TTL)
	ring.Now = func() time.Time { return clock }
	api.API = failing{}
	if keys := ring.CursorKeys(); len(keys) != 1 || !bytes.Equal(keys[0], before) {
		t.Fatalf("keys after a failed refresh: %d", len(keys))
	}
	ring.CursorKeys()
	if n := strings.Count(logs.String(), "cursor key not refreshed"); n != 1 {
		t.Fatalf("%d warnings for one failed refresh within TTL:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), base64.StdEncoding.EncodeToString(before)) {
		t.Fatal("the key was logged")
	}
	if _, err := cursorkey.Load(ctx, failing{}, "arn:aws:secretsmanager:us-east-1:000000000000:secret:none", log); err == nil {
		t.Fatal("a cold start without a readable key succeeded")
	}
}

type switchable struct{ cursorkey.API }

// Decode takes what the stack generates and what the guide suggests, and
// refuses short or non-base64 values without echoing them.
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		value string
		ok    bool
	}{
		{"Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZab", true}, // GenerateSecretString: 64 letters and digits
		{newKey(), true},
		{base64.StdEncoding.EncodeToString(make([]byte, 31)), false},
		{"not base64 at all!", false},
		{"", false},
	} {
		_, err := cursorkey.Decode(c.value)
		if (err == nil) != c.ok {
			t.Errorf("Decode(%q): %v", c.value, err)
		}
		if err != nil && c.value != "" && strings.Contains(err.Error(), c.value) {
			t.Errorf("the error echoes the value: %v", err)
		}
	}
}
