package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/dynamo"
	"github.com/patservice/pat/internal/pat"
)

// shrinking counts the reads and caps what DynamoDB returns per read, as
// its 1 MB limit would with larger items, so that a small table shows the
// pager's behaviour over many requests.
type shrinking struct {
	dynamo.API
	max   int32
	reads atomic.Int32
	// counts are the Select=COUNT queries of a list's total, apart from
	// the reads of its pages.
	counts atomic.Int32
}

func (s *shrinking) cap(limit *int32) *int32 {
	if s.max > 0 && (limit == nil || *limit > s.max) {
		return aws.Int32(s.max)
	}
	return limit
}

func (s *shrinking) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if in.Select == types.SelectCount {
		s.counts.Add(1)
	} else {
		s.reads.Add(1)
	}
	c := *in
	c.Limit = s.cap(in.Limit)
	return s.API.Query(ctx, &c, o...)
}

func (s *shrinking) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	s.reads.Add(1)
	c := *in
	c.Limit = s.cap(in.Limit)
	return s.API.Scan(ctx, &c, o...)
}

// walk follows a list's cursors to the end, returning the ids of each page
// and the reads each page took.
func walk[T any](t *testing.T, reads *atomic.Int32, list func(cursor string) (pat.Page[T], error), id func(T) string) (pages [][]string, perPage []int) {
	t.Helper()
	cursor := ""
	for range 100 {
		before := reads.Load()
		page, err := list(cursor)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, id(it))
		}
		pages, perPage = append(pages, ids), append(perPage, int(reads.Load()-before))
		if cursor = page.Next; cursor == "" {
			return pages, perPage
		}
	}
	t.Fatal("the cursor never ends")
	return nil, nil
}

func sizes(pages [][]string) []int {
	var out []int
	for _, p := range pages {
		out = append(out, len(p))
	}
	return out
}

func tokenID(t pat.Token) string { return t.ID }
func eventID(e pat.Event) string { return e.ID }

// A user's tokens page newest first, a full last page has no cursor, and
// every token is listed once.
func TestListTokensPageBoundaries(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	var want []string
	for range 7 {
		want = append([]string{f.token(t, "alice").ID}, want...)
	}
	f.user(t, "bob")
	f.token(t, "bob")
	reads := &shrinking{API: f.db}
	s := f.storeOn(t, reads)
	for _, c := range []struct {
		limit int
		sizes []int
	}{
		{1, []int{1, 1, 1, 1, 1, 1, 1}},
		{3, []int{3, 3, 1}},
		{6, []int{6, 1}},
		{7, []int{7}},
		{100, []int{7}},
	} {
		pages, perPage := walk(t, &reads.reads, func(cursor string) (pat.Page[pat.Token], error) {
			return s.ListTokens(ctx, "alice", pat.OwnTokenFilter{}, pat.PageRequest{Cursor: cursor, Limit: c.limit, List: "alice's"})
		}, tokenID)
		if !slices.Equal(sizes(pages), c.sizes) || !slices.Equal(slices.Concat(pages...), want) {
			t.Errorf("limit %d: pages %v, want sizes %v of %v", c.limit, pages, c.sizes, want)
		}
		if slices.Max(perPage) != 1 {
			t.Errorf("limit %d: %v reads per page, want 1", c.limit, perPage)
		}
	}
}

// A filtered list reads at most 10 requests per page: a selective filter
// gives short or empty pages that carry a cursor until the end, and the
// cursor walks every item once.
func TestPagerCapsRequestsAndFollowsEmptyPages(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	var all []string
	for range 60 {
		all = append(all, f.token(t, "alice").ID)
	}
	slices.Sort(all)
	reads := &shrinking{API: f.db, max: 5}
	s := f.storeOn(t, reads)
	list := func(filter pat.TokenFilter, limit int) func(string) (pat.Page[pat.Token], error) {
		return func(cursor string) (pat.Page[pat.Token], error) {
			filter.Now = f.now
			return s.ListAllTokens(ctx, filter, pat.PageRequest{Cursor: cursor, Limit: limit, List: fmt.Sprint(filter.OwnerID, filter.Status, limit)})
		}
	}
	for _, c := range []struct {
		name   string
		filter pat.TokenFilter
		limit  int
		want   []string
	}{
		{"list index, nothing matches", pat.TokenFilter{Status: pat.StatusLocked}, 10, nil},
		{"owner index, nothing matches", pat.TokenFilter{OwnerID: "alice", Status: pat.StatusLocked}, 10, nil},
		{"list index, all match", pat.TokenFilter{}, 100, all},
		{"owner index, all match", pat.TokenFilter{OwnerID: "alice", Status: pat.StatusActive}, 100, all},
		{"list index, small pages", pat.TokenFilter{Status: pat.StatusActive}, 7, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			reads.counts.Store(0)
			pages, perPage := walk(t, &reads.reads, list(c.filter, c.limit), tokenID)
			if n := reads.counts.Load(); n > 4 {
				t.Fatalf("%d requests to count the list: more than 4", n)
			}
			got := slices.Concat(pages...)
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("listed %d of %d (pages %v)", len(got), len(c.want), sizes(pages))
			}
			if slices.Max(perPage) > 10 {
				t.Fatalf("reads per page %v: more than 10", perPage)
			}
			if len(pages) < 2 {
				t.Fatalf("one page of %d after %v reads: the 5-item reads should need several", len(got), perPage)
			}
			for i, p := range pages[:len(pages)-1] {
				if len(p) < c.limit && perPage[i] != 10 {
					t.Fatalf("page %d is short (%d) after only %d reads", i, len(p), perPage[i])
				}
			}
		})
	}
}

// The audit log without a partition filter reads month after month,
// newest first; its cursor carries the month across pages and request
// budgets, and every event is listed once.
func TestAuditPagesAcrossMonths(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	start := f.now
	var want []string
	for i, month := range []int{0, 0, 0, 1, 3, 3} { // an empty month between
		f.now = start.AddDate(0, month, 0).Add(time.Duration(i) * time.Minute)
		tok := f.token(t, "alice")
		page, err := f.store.ListEvents(ctx, tok.ID, pat.PageRequest{Limit: 1, List: "x"})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{page.Items[0].ID}, want...)
	}
	from, to := start.AddDate(0, -1, 0), start.AddDate(0, 5, 0)
	// Twelve empty months first: a page's ten reads run out between months.
	late := start.AddDate(0, 15, 0)
	for _, c := range []struct {
		name   string
		max    int32
		limit  int
		filter pat.AuditFilter
	}{
		{"by month, pages of 2", 0, 2, pat.AuditFilter{From: &from, To: &to}},
		{"by month, pages of 4", 0, 4, pat.AuditFilter{From: &from, To: &to}},
		{"by month, reads of 1", 1, 4, pat.AuditFilter{From: &from, To: &to}},
		{"by month, tokens only", 1, 3, pat.AuditFilter{From: &from, To: &to, Action: pat.ActionCreated}},
		{"by owner", 1, 4, pat.AuditFilter{OwnerID: "alice", From: &from}},
		{"empty months first", 0, 4, pat.AuditFilter{From: &from, To: &late}},
	} {
		t.Run(c.name, func(t *testing.T) {
			reads := &shrinking{API: f.db, max: c.max}
			s := f.storeOn(t, reads)
			pages, perPage := walk(t, &reads.reads, func(cursor string) (pat.Page[pat.Event], error) {
				return s.ListAudit(ctx, c.filter, pat.PageRequest{Cursor: cursor, Limit: c.limit, List: c.name})
			}, eventID)
			if got := slices.Concat(pages...); !slices.Equal(got, want) {
				t.Fatalf("listed %v\nwant   %v", pages, want)
			}
			if slices.Max(perPage) > 10 {
				t.Fatalf("reads per page %v", perPage)
			}
		})
	}
	// The range bounds the months: from is inclusive, to exclusive.
	from2, to2 := start.AddDate(0, 1, 0), start.AddDate(0, 3, 0)
	page, err := f.store.ListAudit(ctx, pat.AuditFilter{From: &from2, To: &to2}, pat.PageRequest{Limit: 10, List: "range"})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != want[2] || page.Next != "" {
		t.Fatalf("range: %+v, %v", page, err)
	}
}

// A cursor is refused by any other list, by another store key, and when
// edited, before DynamoDB is asked anything.
func TestCursorsAreBoundToTheirList(t *testing.T) {
	f := newFixture(t)
	f.user(t, "alice")
	for range 3 {
		f.token(t, "alice")
	}
	reads := &shrinking{API: f.db}
	s := f.storeOn(t, reads)
	p := pat.PageRequest{Limit: 1, List: "alice's tokens"}
	page, err := s.ListTokens(ctx, "alice", pat.OwnTokenFilter{}, p)
	if err != nil || page.Next == "" {
		t.Fatal(page, err)
	}
	other := dynamo.NewStore(reads, f.tables.Tokens, f.tables.Audit) // a random key: another deployment's
	before := reads.reads.Load()
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"another list name", func() error {
			_, err := s.ListTokens(ctx, "alice", pat.OwnTokenFilter{}, pat.PageRequest{Cursor: page.Next, Limit: 1, List: "bob's tokens"})
			return err
		}},
		{"another query", func() error {
			_, err := s.ListAllTokens(ctx, pat.TokenFilter{}, pat.PageRequest{Cursor: page.Next, Limit: 1, List: p.List})
			return err
		}},
		{"another query, same list name", func() error {
			_, err := s.RevocablePage(ctx, pat.PageRequest{Cursor: page.Next, Limit: 1, List: p.List})
			return err
		}},
		{"audit", func() error {
			_, err := s.ListAudit(ctx, pat.AuditFilter{OwnerID: "alice"}, pat.PageRequest{Cursor: page.Next, Limit: 1, List: p.List})
			return err
		}},
		{"events", func() error {
			_, err := s.ListEvents(ctx, "x", pat.PageRequest{Cursor: page.Next, Limit: 1, List: p.List})
			return err
		}},
		{"due", func() error {
			_, _, err := s.DuePage(ctx, f.now.Format(time.DateOnly), f.now, page.Next, 1)
			return err
		}},
		{"another key", func() error {
			_, err := other.ListTokens(ctx, "alice", pat.OwnTokenFilter{}, pat.PageRequest{Cursor: page.Next, Limit: 1, List: p.List})
			return err
		}},
		{"edited", func() error {
			_, err := s.ListTokens(ctx, "alice", pat.OwnTokenFilter{}, pat.PageRequest{Cursor: strings.ToUpper(page.Next), Limit: 1, List: p.List})
			return err
		}},
	} {
		if err := c.call(); pat.ErrorCode(err) != pat.CodeInvalidCursor {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if n := reads.reads.Load() - before; n != 0 {
		t.Fatalf("%d reads for refused cursors", n)
	}
}

// The longest user id OIDC allows (255 characters, in the cursor's key on
// the owner indexes) still gives cursors well within the accepted length.
func TestCursorsOfTheLongestUserIDs(t *testing.T) {
	f := newFixture(t)
	user := strings.Repeat("u", 255)
	f.user(t, user)
	f.token(t, user)
	f.token(t, user)
	from := f.now.Add(-time.Hour)
	for name, list := range map[string]func(cursor string) (string, int, error){
		"tokens": func(cursor string) (string, int, error) {
			p, err := f.store.ListTokens(ctx, user, pat.OwnTokenFilter{}, pat.PageRequest{Cursor: cursor, Limit: 1, List: user})
			return p.Next, len(p.Items), err
		},
		"audit by owner": func(cursor string) (string, int, error) {
			p, err := f.store.ListAudit(ctx, pat.AuditFilter{OwnerID: user, From: &from}, pat.PageRequest{Cursor: cursor, Limit: 1, List: user})
			return p.Next, len(p.Items), err
		},
	} {
		next, _, err := list("")
		if err != nil || next == "" || len(next) > dynamo.MaxCursorLen/2 {
			t.Fatalf("%s: a cursor of %d characters, %v", name, len(next), err)
		}
		if _, n, err := list(next); err != nil || n != 1 {
			t.Fatalf("%s: page 2: %d items, %v", name, n, err)
		}
	}
}
