package authz

import (
	"context"
	"sync"
	"time"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// CachedReader lets one authorizer instance reuse what it read of a token
// for at most TTL (DECISION_CACHE_SECONDS): a token used by a fleet at
// thousands of requests a second is then read about once per TTL per
// instance instead of once per request, beyond what one item serves. The
// price is the bound: a revocation, lock, expiry or change of the owner
// takes effect within TTL plus one read on every instance. Every decision
// is still made afresh from the cached state (expiry against the clock,
// scopes against the route); only the read is reused.
//
// Only tokens that exist are cached. Checksums are public, so anyone can
// make well-formed ids by the thousand: an id the table does not hold is
// read every time (as it would be without a cache) and never takes the
// place of a live entry. Memory stays bounded by maxCached entries; when
// the cache is full of entries younger than TTL, a newcomer waits for the
// next sweep instead of evicting them.
type CachedReader struct {
	Reader
	TTL time.Duration
	Now func() time.Time

	mu        sync.Mutex
	entries   map[string]cached
	lastSweep time.Time
}

type cached struct {
	rec    pat.TokenOwner
	readAt time.Time
}

// maxCached bounds the cache's memory: beyond it, entries past their TTL
// are dropped, at most once per TTL.
const maxCached = 10_000

// NewCachedReader wraps r with a cache of ttl.
func NewCachedReader(r Reader, ttl time.Duration) *CachedReader {
	return &CachedReader{Reader: r, TTL: ttl, Now: time.Now, entries: map[string]cached{}}
}

// TokenAndOwner answers from the cache while the entry is younger than TTL.
// Errors and unknown ids are never cached: the next request reads again.
func (c *CachedReader) TokenAndOwner(ctx context.Context, p token.Parsed) (pat.TokenOwner, error) {
	now := c.Now()
	c.mu.Lock()
	e, ok := c.entries[p.ID]
	c.mu.Unlock()
	if ok && now.Sub(e.readAt) < c.TTL {
		return e.rec, nil
	}
	rec, err := c.Reader.TokenAndOwner(ctx, p)
	if err != nil || rec.Token == nil {
		return rec, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, present := c.entries[p.ID]; !present && len(c.entries) >= maxCached {
		if now.Sub(c.lastSweep) < c.TTL {
			return rec, nil
		}
		c.lastSweep = now
		for id, e := range c.entries {
			if now.Sub(e.readAt) >= c.TTL {
				delete(c.entries, id)
			}
		}
		if len(c.entries) >= maxCached {
			return rec, nil
		}
	}
	c.entries[p.ID] = cached{rec: rec, readAt: now}
	return rec, nil
}

// RecordUse writes the use and notes it in the cached copy, so that the
// next decisions from the cache do not try to write it again.
func (c *CachedReader) RecordUse(ctx context.Context, tokenID string, use pat.Use, notBefore time.Time) error {
	err := c.Reader.RecordUse(ctx, tokenID, use, notBefore)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[tokenID]; ok && e.rec.Token != nil {
		t := *e.rec.Token
		t.LastUsedAt = &use.At
		e.rec.Token = &t
		c.entries[tokenID] = e
	}
	return err
}

// ReportReuse writes the report and notes it in the cached copy, so that
// the next refusals from the cache do not try to write it again.
func (c *CachedReader) ReportReuse(ctx context.Context, r pat.ReuseReport) (bool, error) {
	written, err := c.Reader.ReportReuse(ctx, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[r.Token.ID]; ok && e.rec.Token != nil && err == nil {
		t := *e.rec.Token
		t.ReuseReportedAt = &r.At
		e.rec.Token = &t
		c.entries[r.Token.ID] = e
	}
	return written, err
}
