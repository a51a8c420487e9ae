// Package authz decides whether a request carrying a personal access token
// may call an API route: the hot path in front of every call. It fails
// closed: any error reading the token ends in an error, never in Allow.
package authz

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/patservice/pat/internal/emf"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

// Outcome is what the gateway answers.
type Outcome uint8

const (
	Unauthorized Outcome = iota // 401
	Forbidden                   // 403
	Allowed
	// BadRequest (400 invalid_request): credentials sent more than once or
	// in the query string. A REST API can only answer it with 401.
	BadRequest
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "allow"
	case Forbidden:
		return "forbidden"
	case BadRequest:
		return "bad_request"
	}
	return "unauthorized"
}

// Reasons a decision gives, in the order they are checked (ReasonPath
// comes before the read: no token can make such a path acceptable).
const (
	ReasonMissing   = "missing_token"
	ReasonAmbiguous = "ambiguous_credentials" // several Authorization headers, or access_token in the query
	ReasonMalformed = "malformed_token"
	ReasonUnknown   = "unknown_token"
	ReasonRevoked   = "revoked"
	// ReasonReuse: a token a rotation replaced, used after its overlap
	// ended (or after its owner revoked it early). Refused as any dead
	// token, and reported (Authorizer.reportReuse).
	ReasonReuse         = "reuse"
	ReasonLocked        = "locked"
	ReasonExpired       = "expired"
	ReasonOwnerDisabled = "owner_disabled"
	ReasonSource        = "source_not_allowed" // the token is limited to addresses the request did not come from
	ReasonPath          = "path_not_canonical" // a path a backend could read differently: see scope.CanonicalPath
	ReasonNoRoute       = "route_not_in_catalog"
	ReasonScope         = "insufficient_scope"
	ReasonAllowed       = "allowed"
)

// Request is what the authorizer knows of an API call.
type Request struct {
	Authorization string // the Authorization header; several are joined with ","
	// QueryToken: the query string carries access_token (RFC 6750 §2.3),
	// which this service never accepts: query strings end up in logs.
	QueryToken bool
	Method     string
	// Path is the request's path as the API's routes see it (no stage).
	Path string
	// FullPath is the same path as another field of the event carries it,
	// with the stage or a custom domain's base path in front ("" if the
	// event has none). It must end with Path and pass the same rule: a
	// request whose fields disagree is refused.
	FullPath string
	// SourceIP is the address API Gateway saw the request come from (never
	// a header a client can set, such as X-Forwarded-For): a token's
	// allowed sources are checked against it.
	SourceIP  string
	UserAgent string
}

// Decision is the answer, with what the backend learns on Allow.
type Decision struct {
	Outcome       Outcome
	Reason        string
	RequiredScope string // the scope the route needs, once known
	UserID        string
	TokenID       string
	Scopes        []string // effective scopes: the token's ∩ the owner's current permissions, and its scope.Own ones
	// IssuedByAdmin: an administrator made the token for its owner
	// (POST /admin/users/{id}/tokens), rather than the owner themselves.
	IssuedByAdmin bool

	recordUse bool // the last recorded use is older than the interval
	// reuse is the replaced token to report (ReasonReuse), when no report
	// of it is as recent as pat.ReusePeriod.
	reuse *pat.Token
}

// ErrorCode is the RFC 6750 error code for the WWW-Authenticate header.
func (d Decision) ErrorCode() string {
	switch {
	case d.Outcome == BadRequest:
		return "invalid_request"
	case d.Outcome == Forbidden:
		return "insufficient_scope"
	case d.Outcome == Unauthorized && d.Reason != ReasonMissing:
		return "invalid_token"
	}
	return ""
}

// Description says why, for the client, without revealing more than the
// token's owner may know.
func (d Decision) Description() string {
	switch d.Reason {
	case ReasonMissing:
		return "send a personal access token: Authorization: Bearer <token>"
	case ReasonAmbiguous:
		return "send the token once, in one Authorization: Bearer header, never in the query string"
	case ReasonMalformed, ReasonUnknown:
		return "the token is not valid"
	case ReasonRevoked:
		return "the token was revoked"
	case ReasonReuse:
		return "the token was replaced by a rotation: use its replacement"
	case ReasonLocked:
		return "the token is locked by an administrator"
	case ReasonExpired:
		return "the token has expired"
	case ReasonOwnerDisabled:
		return "the token's owner is disabled"
	case ReasonSource:
		return "the token may not be used from this address"
	case ReasonPath:
		return "the request path has a form that could reach another resource (path parameters, dot segments, encoded separators or controls): no token grants it"
	case ReasonNoRoute:
		return "no scope grants access to this route"
	case ReasonScope:
		return "the token lacks the scope " + d.RequiredScope
	}
	return ""
}

// Challenge is the WWW-Authenticate value for a refusal (RFC 6750 §3):
// no error code when no bearer credentials came at all, and on 403 the
// scope the route needs. realm must be a plain token (config checks it).
func (d Decision) Challenge(realm string) string {
	c := `Bearer realm="` + realm + `"`
	if code := d.ErrorCode(); code != "" {
		c += `, error="` + code + `"`
	}
	if d.Outcome == Forbidden && d.RequiredScope != "" {
		c += `, scope="` + d.RequiredScope + `"`
	}
	return c
}

// Precheck decides what the credentials alone decide, with no database
// call: none sent, sent ambiguously, or not a bearer token of any shape.
// decided is false when the token must be looked up. Decide starts with it;
// a gateway that only learns "401" from the authorizer uses it to tell a
// request without credentials from one with a bad token.
func Precheck(req Request) (d Decision, raw string, decided bool) {
	// Two headers arrive joined with ",", which no b64token contains.
	if req.QueryToken || strings.Contains(req.Authorization, ",") {
		return Decision{Outcome: BadRequest, Reason: ReasonAmbiguous}, "", true
	}
	raw, present, ok := bearerToken(req.Authorization)
	if !present {
		return Decision{Outcome: Unauthorized, Reason: ReasonMissing}, "", true
	}
	if !ok {
		return Decision{Outcome: Unauthorized, Reason: ReasonMalformed}, "", true
	}
	return Decision{}, raw, false
}

// Reader is the authorizer's access to the tokens table.
type Reader interface {
	// TokenAndOwner reads a token and its owner's state, strongly
	// consistent: one read of the token, which carries its owner's state
	// (a second for a token older than that copy).
	TokenAndOwner(ctx context.Context, p token.Parsed) (pat.TokenOwner, error)
	// RecordUse writes a use unless one at or after notBefore is recorded,
	// so that concurrent requests write once.
	RecordUse(ctx context.Context, tokenID string, use pat.Use, notBefore time.Time) error
	// ReportReuse writes a reuse report unless one after r.Since is
	// written, so that concurrent requests write once; false then.
	ReportReuse(ctx context.Context, r pat.ReuseReport) (bool, error)
}

// Authorizer makes decisions.
type Authorizer struct {
	reader Reader
	format *token.Format
	log    *slog.Logger
	// LastUseInterval is the least time between two recorded uses of a token.
	LastUseInterval time.Duration
	// Timeout bounds each database call.
	Timeout time.Duration
	// Now is the clock.
	Now func() time.Time
	// AllowLogSample is the share of allow decisions logged on a line of
	// their own (0 to 1); denies and errors always are, and every decision
	// is counted in the metrics.
	AllowLogSample float64

	metrics metrics
	// decisions declares the metrics of a decision's line: emfDirective,
	// or its copy in SelfRotationNamespace (OnlyRoute).
	decisions emf.Directive
	// required maps a route to the scope it needs: the catalog's, or one
	// route's of the caller's own (OnlyRoute).
	required func(method, path string) (string, bool)
	// Realm names the protection space in WWW-Authenticate.
	Realm string
	// AuditRetention is how long a reuse report's audit events are kept.
	AuditRetention time.Duration
}

// New returns an Authorizer with a 10-minute last-use interval and a 1 s timeout.
func New(reader Reader, format *token.Format, catalog *scope.Catalog, log *slog.Logger) *Authorizer {
	return &Authorizer{reader: reader, format: format, log: log, required: catalog.Required, decisions: emfDirective,
		LastUseInterval: 10 * time.Minute, Timeout: time.Second, Now: time.Now, Realm: "pat"}
}

// OnlyRoute makes a decide on one route, which needs scope, instead of on
// the catalog's: the management API's self-rotation, whose scope
// (scope.SelfRotate) no catalog path requires, decides with the same code
// as the authorizer of every other API. Any other route is refused
// (ReasonNoRoute). Its decisions are counted in SelfRotationNamespace, not
// with the authorizer's, whose alarms roll back the authorizer's
// deployments; a reuse it reports is counted with the authorizer's
// (ReuseReports), which the reuse alarm watches wherever it is seen.
func (a *Authorizer) OnlyRoute(method, path, scope string) {
	a.decisions.Namespace = SelfRotationNamespace
	a.required = func(m, p string) (string, bool) {
		if m == method && p == path {
			return scope, true
		}
		return "", false
	}
}

// Authorize decides on a request, records the use of an allowed token when
// it is due, and logs one line with the decision and its metrics. An error
// means the decision could not be made: the caller must deny.
func (a *Authorizer) Authorize(ctx context.Context, req Request) (Decision, error) {
	start := time.Now()
	d, err := a.Decide(ctx, req)
	if err == nil && d.Outcome == Allowed {
		a.recordUse(ctx, d, req)
	}
	if err == nil && d.reuse != nil {
		a.reportReuse(ctx, d, req)
	}
	a.logDecision(ctx, d, err, time.Since(start))
	return d, err
}

// Decide makes the decision alone: no last-use write, no log line.
func (a *Authorizer) Decide(ctx context.Context, req Request) (Decision, error) {
	d, raw, decided := Precheck(req)
	if decided {
		return d, nil
	}
	parsed, err := a.format.Parse(raw)
	if err != nil {
		return Decision{Outcome: Unauthorized, Reason: ReasonMalformed}, nil
	}
	if !canonical(req) {
		return Decision{Outcome: Forbidden, Reason: ReasonPath, TokenID: parsed.ID}, nil
	}
	return a.decide(ctx, req, parsed)
}

// canonical reports whether the request's path, in every field the event
// carries it, is one the authorizer can decide on without guessing how a
// backend reads it. Such a path is refused with 403, as a route no scope
// grants, and before the token is read: it is not a matter of credentials
// (401 would send a client to fetch new ones), and GitHub and GitLab answer
// a request they refuse to route the same whoever sends it.
func canonical(req Request) bool {
	return scope.CanonicalPath(req.Path) &&
		(req.FullPath == "" || strings.HasSuffix(req.FullPath, req.Path) && scope.CanonicalPath(req.FullPath))
}

// decide looks a well-formed token up and checks it against the route.
func (a *Authorizer) decide(ctx context.Context, req Request, parsed token.Parsed) (Decision, error) {
	d := Decision{Outcome: Unauthorized, TokenID: parsed.ID}

	readCtx, cancel := context.WithTimeout(ctx, a.Timeout)
	rec, err := a.reader.TokenAndOwner(readCtx, parsed)
	cancel()
	if err != nil {
		return d, fmt.Errorf("read token %s: %w", parsed.ID, err)
	}
	now := a.Now()
	t, owner := rec.Token, rec.Owner
	digest := parsed.Digest()
	switch {
	case t == nil || !digest.Equal(t.Digest):
		d.Reason = ReasonUnknown
		return d, nil
	case t.ReplacedEnded(now):
		d.Reason = ReasonReuse
		if pat.ShouldReportReuse(t.ReuseReportedAt, now) {
			d.reuse = t
		}
		return d, nil
	case t.StatusAt(now) == pat.StatusRevoked:
		d.Reason = ReasonRevoked
		return d, nil
	case t.Status == pat.StatusLocked:
		d.Reason = ReasonLocked
		return d, nil
	case !t.Usable(now):
		d.Reason = ReasonExpired
		return d, nil
	case owner == nil || owner.ID != t.UserID || owner.Status != pat.UserActive:
		d.Reason = ReasonOwnerDisabled
		return d, nil
	}
	d.Outcome = Forbidden
	// A valid token from an address its owner did not allow: 403, as
	// GitHub answers a request from outside an IP allow list (new
	// credentials would not help). It comes before the route, so that such
	// a request learns nothing of the catalog or the token's scopes.
	if !pat.SourceAllowed(t.AllowedSources, req.SourceIP) {
		d.Reason = ReasonSource
		return d, nil
	}
	d.UserID = t.UserID
	required, ok := a.required(req.Method, req.Path)
	if !ok {
		d.Reason = ReasonNoRoute
		return d, nil
	}
	d.RequiredScope = required
	// Both lists are sorted: the token's at creation, the owner's when synced.
	d.Scopes = scope.Effective(t.Scopes, owner.Effective())
	if _, granted := slices.BinarySearch(d.Scopes, required); !granted {
		d.Reason = ReasonScope
		return d, nil
	}
	d.Outcome, d.Reason = Allowed, ReasonAllowed
	d.IssuedByAdmin = t.IssuedBy == pat.RoleAdmin
	d.recordUse = pat.ShouldRecordUse(t.LastUsedAt, now, a.LastUseInterval)
	return d, nil
}

// recordUse writes the use; a failure is logged and does not change an
// answer that is already decided.
func (a *Authorizer) recordUse(ctx context.Context, d Decision, req Request) {
	if !d.recordUse {
		return
	}
	now := a.Now()
	writeCtx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	use := pat.Use{At: now, SourceIP: req.SourceIP, UserAgent: truncate(req.UserAgent, 256)}
	if err := a.reader.RecordUse(writeCtx, d.TokenID, use, now.Add(-a.LastUseInterval)); err != nil {
		a.log.WarnContext(ctx, "last use not recorded", "tokenId", d.TokenID, "error", err)
	}
}

// reportReuse writes the report of a replaced token's use after its end
// (at most once per token per pat.ReusePeriod, whichever instance sees
// it), logs it and counts it (ReuseReports); a failure is logged and does
// not change the refusal.
func (a *Authorizer) reportReuse(ctx context.Context, d Decision, req Request) {
	t := *d.reuse
	report, err := pat.NewReuseReport(t, a.Now(), req.SourceIP, a.AuditRetention, a.format.NewID)
	if err != nil {
		a.log.ErrorContext(ctx, "reuse not reported", "tokenId", t.ID, "error", err)
		return
	}
	writeCtx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	written, err := a.reader.ReportReuse(writeCtx, report)
	switch {
	case err != nil:
		a.log.ErrorContext(ctx, "reuse not reported", "tokenId", t.ID, "error", err)
	case written:
		a.log.LogAttrs(ctx, slog.LevelWarn, "token reuse reported", slog.String("tokenId", t.ID), slog.String("userId", t.UserID),
			slog.String("replacedBy", t.ReplacedBy), slog.Bool("replacementRevoked", report.Revocation != nil),
			slog.Int("ReuseReports", 1), reuseDirective.Attr(report.At))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
