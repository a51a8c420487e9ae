package lifecycle_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
)

// A run gives the tokens older than the owner's copy their copy, records
// it in one audit event with the counts, and once the whole table is seen
// the next runs do nothing more.
func TestRunBackfillsOwnerStatesOnceAndAuditsIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var legacy []string
	for i := range 3 {
		c := e.create(t, "t", pat.CreateInput{})
		if i < 2 {
			if _, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(e.Tables.Tokens), Key: testenv.TokenKey(c.Token.ID),
				UpdateExpression: aws.String("REMOVE ownerStatus, ownerScopes, ownerRev")}); err != nil {
				t.Fatal(err)
			}
			legacy = append(legacy, c.Token.ID)
		}
	}
	j := e.job(t, e.Mail, nil)
	rep := e.run(t, j, t0)
	if b := rep.Backfill; b == nil || b.Copied != 2 || !b.Done || b.Scanned == 0 {
		t.Fatalf("the first run's backfill: %+v", b)
	}
	for _, id := range legacy {
		if tok, err := e.Service.Store.GetToken(ctx, id); err != nil || tok.Owner.Rev == 0 || tok.Owner.Status != pat.UserActive {
			t.Fatalf("token %s after the backfill: %+v %v", id, tok.Owner, err)
		}
	}
	audit := func() []pat.Event {
		page, err := e.Service.Store.ListAudit(ctx, pat.AuditFilter{OwnerID: pat.ActorJob, Action: pat.ActionTokensOwnerStateCopied}, pat.PageRequest{Limit: 10, List: "t"})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	events := audit()
	if len(events) != 1 || events[0].Details["copied"] != "2" || events[0].Details["done"] != "true" || events[0].ActorRole != pat.RoleJob {
		t.Fatalf("the run's audit: %+v", events)
	}
	rep = e.run(t, j, t0.Add(day))
	if b := rep.Backfill; b == nil || !b.Done || b.Scanned != 0 {
		t.Fatalf("a run after the backfill is done: %+v", b)
	}
	if n := len(audit()); n != 1 {
		t.Fatalf("%d audit events after a run with nothing to copy, want still 1", n)
	}
}

// A run gives the tokens and users written before the list index their
// entries, records it in one audit event with the counts, and once the
// table is seen the next runs write nothing more.
func TestRunBackfillsListsOnceAndAuditsIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var old []string
	for range 2 {
		c := e.create(t, "t", pat.CreateInput{})
		if _, err := e.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(e.Tables.Tokens), Key: testenv.TokenKey(c.Token.ID),
			UpdateExpression: aws.String("REMOVE listPk, listSk")}); err != nil {
			t.Fatal(err)
		}
		old = append(old, c.Token.ID)
	}
	listed := func() []string {
		page, err := e.Service.Store.ListAllTokens(ctx, pat.TokenFilter{Now: t0}, pat.PageRequest{Limit: 10, List: "t"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tok := range page.Items {
			ids = append(ids, tok.ID)
		}
		return ids
	}
	if ids := listed(); len(ids) != 0 {
		t.Fatalf("listed before the backfill: %v", ids)
	}
	j := e.job(t, e.Mail, nil)
	rep := e.run(t, j, t0)
	if b := rep.ListBackfill; b == nil || b.Tokens != 2 || !b.Done || b.Scanned == 0 {
		t.Fatalf("the first run's list backfill: %+v", b)
	}
	if ids := listed(); !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(old))) {
		t.Fatalf("listed after the backfill: %v, want %v", ids, old)
	}
	audit := func() []pat.Event {
		page, err := e.Service.Store.ListAudit(ctx, pat.AuditFilter{OwnerID: pat.ActorJob, Action: pat.ActionListsBackfilled}, pat.PageRequest{Limit: 10, List: "t"})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	if events := audit(); len(events) != 1 || events[0].Details["tokens"] != "2" || events[0].Details["done"] != "true" {
		t.Fatalf("the run's audit: %+v", events)
	}
	rep = e.run(t, j, t0.Add(day))
	if b := rep.ListBackfill; b == nil || !b.Done || b.Scanned != 0 {
		t.Fatalf("a run after the list backfill is done: %+v", b)
	}
	if n := len(audit()); n != 1 {
		t.Fatalf("%d audit events after a run with nothing to write, want still 1", n)
	}
}
