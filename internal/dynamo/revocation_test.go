package dynamo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// notify composes one notice per owner and batch, as the service does for
// an administrator's revocation.
func (f *fixture) notify(owner []pat.Token) (*pat.Notice, error) {
	return &pat.Notice{ID: f.next("notice"), UserID: owner[0].UserID, Message: pat.Message{UserID: owner[0].UserID,
		To: owner[0].OwnerEmail, Subject: fmt.Sprint(len(owner), " tokens revoked"), Text: "revoked"}}, nil
}

// revocationState is what the tables hold of a revocation: each token's
// status, the revocation events per token, and the notices.
func (f *fixture) revocationState(t *testing.T) (status map[string]string, events map[string]int, notices int) {
	t.Helper()
	status, events = map[string]string{}, map[string]int{}
	for _, item := range localstack.Dump(t, f.db, f.tables.Tokens) {
		switch str(item, "sk") {
		case "TOKEN":
			status[str(item, "id")] = str(item, "status")
		case "NOTICE":
			notices++
		}
	}
	for _, item := range localstack.Dump(t, f.db, f.tables.Audit) {
		if str(item, "action") == pat.ActionRevoked {
			events[str(item, "tokenId")]++
		}
	}
	return status, events, notices
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// A revocation of 250 tokens of one owner, which takes eight transactions,
// fails in the third: the tokens it reports revoked are revoked, each with
// one event, with the owner's count and the notices of their batches; every
// other token is as it was. Repeated, it revokes exactly the rest, skipping
// the revoked ones: 250 tokens, 250 events, count 0. Another owner's token
// is never touched.
func TestRevokeTokensFailingMidway(t *testing.T) {
	f := newFixture(t)
	f.user(t, "many")
	f.user(t, "other")
	var tokens []pat.Token
	for range 250 {
		tokens = append(tokens, f.token(t, "many"))
	}
	other := f.token(t, "other")

	failing := &localstack.FailTransaction{API: f.db}
	failing.At.Store(3)
	r := f.revocation(tokens...)
	r.Notify = f.notify
	done, err := f.storeOn(t, failing).RevokeTokens(ctx, r)
	if err == nil || len(done.IDs) != 64 || len(done.Notices) != 2 || done.Skipped != nil || done.Stopped {
		t.Fatalf("failing midway: %d revoked, %d notices, %d skipped, stopped %v, %v", len(done.IDs), len(done.Notices), len(done.Skipped), done.Stopped, err)
	}
	status, events, notices := f.revocationState(t)
	revoked := map[string]bool{}
	for _, id := range done.IDs {
		revoked[id] = true
	}
	for _, tok := range tokens {
		want, wantEvents := string(pat.StatusActive), 0
		if revoked[tok.ID] {
			want, wantEvents = string(pat.StatusRevoked), 1
		}
		if status[tok.ID] != want || events[tok.ID] != wantEvents {
			t.Fatalf("after the failure token %s is %s with %d events, want %s with %d", tok.ID, status[tok.ID], events[tok.ID], want, wantEvents)
		}
	}
	if notices != 2 || f.activeTokens(t, "many") != 186 {
		t.Fatalf("after the failure: %d notices, count %d; want 2 and 186", notices, f.activeTokens(t, "many"))
	}

	r = f.revocation(tokens...)
	r.Notify = f.notify
	again, err := f.store.RevokeTokens(ctx, r)
	if err != nil || len(again.IDs) != 186 || len(again.Skipped) != 64 || len(again.Notices) != 6 {
		t.Fatalf("repeated: %d revoked, %d skipped, %d notices, %v", len(again.IDs), len(again.Skipped), len(again.Notices), err)
	}
	status, events, notices = f.revocationState(t)
	for _, tok := range tokens {
		if status[tok.ID] != string(pat.StatusRevoked) || events[tok.ID] != 1 {
			t.Fatalf("after the repeat token %s is %s with %d events", tok.ID, status[tok.ID], events[tok.ID])
		}
	}
	if len(events) != 250 || notices != 8 || f.activeTokens(t, "many") != 0 {
		t.Fatalf("after the repeat: events for %d tokens, %d notices, count %d", len(events), notices, f.activeTokens(t, "many"))
	}
	if status[other.ID] != string(pat.StatusActive) || f.activeTokens(t, "other") != 1 {
		t.Fatal("another owner's token was touched")
	}
}

// Tokens of several owners, interleaved, are revoked owner by owner, each
// owner's count and notice written with their tokens; a revocation whose
// StopBy has passed starts no transaction.
func TestRevokeTokensOfManyOwners(t *testing.T) {
	f := newFixture(t)
	owners := []string{"ann", "ben", "cy"}
	for _, o := range owners {
		f.user(t, o)
	}
	var tokens []pat.Token
	for i := range 60 {
		tokens = append(tokens, f.token(t, owners[i%len(owners)]))
	}
	stopped := f.revocation(tokens...)
	stopped.StopBy = time.Now().Add(-time.Second)
	if done, err := f.store.RevokeTokens(ctx, stopped); err != nil || !done.Stopped || done.IDs != nil {
		t.Fatalf("past StopBy: %+v, %v", done, err)
	}
	if status, events, _ := f.revocationState(t); len(events) != 0 || status[tokens[0].ID] != string(pat.StatusActive) {
		t.Fatal("a stopped revocation wrote something")
	}

	r := f.revocation(tokens...)
	r.Notify = f.notify
	done, err := f.store.RevokeTokens(ctx, r)
	// 60 tokens and 3 owners, 2 items per token and 2 per owner: 126 items,
	// two transactions; the owner cut between them gets a notice in each.
	if err != nil || len(done.IDs) != 60 || len(done.Notices) != 4 {
		t.Fatalf("revoked %d with %d notices: %v", len(done.IDs), len(done.Notices), err)
	}
	for _, o := range owners {
		if n := f.activeTokens(t, o); n != 0 {
			t.Fatalf("%s still counts %d active tokens", o, n)
		}
	}
	if _, events, notices := f.revocationState(t); len(events) != 60 || notices != 4 {
		t.Fatalf("events for %d tokens, %d notices", len(events), notices)
	}
}
