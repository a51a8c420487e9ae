package pat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

// MaxOverlap is the longest a replaced token may keep working after a
// rotation: long enough to roll a new secret out to every machine over a
// weekend, short enough that a forgotten copy soon stops.
const MaxOverlap = 7 * 24 * time.Hour

// RotateInput is how a rotation ends the old token.
type RotateInput struct {
	// Overlap keeps the old token working this long after the rotation
	// (0 to MaxOverlap, whole seconds; 0 ends it at once). It never works
	// past its own expiry.
	Overlap time.Duration
	// RevokeReplacementOnReuse: a use of the old token after its end also
	// revokes the replacement, as refresh-token reuse detection does (a
	// stolen copy of the old token means the new one may be stolen too).
	RevokeReplacementOnReuse bool
}

// Check refuses an overlap out of bounds: the service does, and so does a
// handler that must refuse a bad body before it touches anything.
func (in RotateInput) Check() error {
	if in.Overlap < 0 || in.Overlap > MaxOverlap || in.Overlap%time.Second != 0 {
		return Errorf(CodeInvalid, "overlapSeconds: want whole seconds from 0 to %d (%s)", int64(MaxOverlap/time.Second), "7 days")
	}
	return nil
}

// RotateToken replaces a token with a new one of the same name, description,
// scopes and lifetime. The old token ends in the same transaction, at once
// or after the overlap in asks for: until then it is replaced, and works.
func (s *Service) RotateToken(ctx context.Context, id Identity, tokenID string, in RotateInput) (Created, error) {
	if err := in.Check(); err != nil {
		return Created{}, err
	}
	return whileOwnerChanges(func() (Created, error) { return s.rotate(ctx, id, tokenID, in) })
}

func (s *Service) rotate(ctx context.Context, id Identity, tokenID string, in RotateInput) (Created, error) {
	old, user, err := s.ownChange(ctx, id, tokenID, "rotated")
	if err != nil {
		return Created{}, err
	}
	return s.replaceWithNew(ctx, id, old, user, in, map[string]string{})
}

// Origin is where a request that carries no person's session came from:
// what the audit trail and the owner's notice say of it, and where the
// notice's links ("this was not me") lead.
type Origin struct {
	SourceIP   string
	UserAgent  string
	ConsoleURL string
	KeepURL    string
}

// SelfRotateToken rotates a token at the request of the token itself,
// which the authorizer checked (digest, status, owner, sources) and found
// holding scope.SelfRotate. The actor is its owner, with the owner's
// rights as stored, as for a keep link: a machine comes without a session
// whose claims could refresh them. The rules are those of the owner's
// rotation (mayChange), and the token must hold scope.SelfRotate.
func (s *Service) SelfRotateToken(ctx context.Context, tokenID string, from Origin, in RotateInput) (Created, error) {
	if err := in.Check(); err != nil {
		return Created{}, err
	}
	return whileOwnerChanges(func() (Created, error) {
		if !token.ValidID(tokenID) {
			return Created{}, ErrNotFound
		}
		old, err := s.tokens.GetToken(ctx, tokenID)
		if err != nil {
			return Created{}, err
		}
		if !slices.Contains(old.Scopes, scope.SelfRotate) {
			return Created{}, &Error{Code: CodeScopeNotPermitted, Scopes: []string{scope.SelfRotate},
				Message: "token " + tokenID + " may not rotate itself: its owner did not grant it " + scope.SelfRotate}
		}
		if old.ReplacedBy != "" {
			// Still in its overlap: the machine has the replacement already.
			return Created{}, Errorf(CodeTokenNotActive, "token %s was replaced by a rotation and cannot be rotated again: use its replacement", tokenID)
		}
		owner, err := s.users.GetUser(ctx, old.UserID)
		if err != nil {
			return Created{}, fmt.Errorf("read owner of %s: %w", tokenID, err)
		}
		if err := s.mayChange(old, owner, "rotated"); err != nil {
			return Created{}, err
		}
		actor := Identity{UserID: owner.ID, Email: owner.Email, SourceIP: from.SourceIP, UserAgent: from.UserAgent,
			ConsoleURL: from.ConsoleURL, KeepURL: from.KeepURL}
		return s.replaceWithNew(ctx, actor, old, owner, in, map[string]string{"selfRotated": "true"})
	})
}

// replaceWithNew issues old's replacement for its owner user, on id's
// behalf, and ends old as in asks; details are added to the rotation's
// audit event.
func (s *Service) replaceWithNew(ctx context.Context, id Identity, old Token, user User, in RotateInput, details map[string]string) (Created, error) {
	tokenID := old.ID
	now := s.now()
	next := Token{UserID: id.UserID, OwnerEmail: user.Email, Name: old.Name, Description: old.Description, Scopes: old.Scopes, AllowedSources: old.AllowedSources, CreatedAt: now, Owner: user.State()}
	term := old.Term()
	if term == 0 && !s.cfg.AllowNeverExpires {
		term = s.cfg.DefaultLifetime
	}
	if term > 0 {
		at := now.Add(min(term, s.cfg.MaxLifetime)).Truncate(time.Second)
		next.ExpiresAt, next.Lifetime = &at, lifetime(now, &at)
	}
	created, err := s.issue(next)
	if err != nil {
		return Created{}, err
	}
	details["replacedBy"] = created.Token.ID
	s.replace(&old, created.Token.ID, now, in)
	if old.Status == StatusActive {
		details["replacedUntil"] = old.ReplacedUntil.Format(time.RFC3339)
	}
	if in.RevokeReplacementOnReuse {
		details["revokeReplacementOnReuse"] = "true"
	}
	oldEv, err := s.event(id, old, ActionRotated, details)
	if err != nil {
		return Created{}, err
	}
	newEv, err := s.event(id, created.Token, ActionCreated, map[string]string{"rotatedFrom": old.ID, "name": next.Name, "scopes": strings.Join(next.Scopes, " ")})
	if err != nil {
		return Created{}, err
	}
	if !newEv.Time.After(oldEv.Time) {
		newEv.Time = oldEv.Time.Add(time.Microsecond) // the trail lists the rotation before the replacement's creation
	}
	n, err := s.creationNotice(ctx, Creation{Token: created.Token, Actor: id, Role: RoleUser, RotatedFrom: old.ID, SelfRotated: details["selfRotated"] == "true", At: newEv.Time})
	if err != nil {
		return Created{}, err
	}
	if err := s.tokens.RotateToken(ctx, old, created.Token, s.cfg.MaxActiveTokens, []Event{oldEv, newEv}, n); err != nil {
		return Created{}, fmt.Errorf("rotate token %s: %w", tokenID, err)
	}
	s.log.InfoContext(ctx, "token rotated", "tokenId", old.ID, "replacedBy", created.Token.ID, "userId", id.UserID, "overlapSeconds", int64(in.Overlap/time.Second))
	s.deliverOne(ctx, n)
	return created, nil
}

// replace marks old as replaced by the token replacedBy at now. Without an
// overlap it is revoked at once. With one it stays active, and live (an
// administrator's lock or a change of its owner still reaches it), until
// its overlap ends: its expiry moves there, and the lifecycle job marks it
// expired then.
func (s *Service) replace(old *Token, replacedBy string, now time.Time, in RotateInput) {
	old.ReplacedBy, old.RevokeReplacementOnReuse = replacedBy, in.RevokeReplacementOnReuse
	if in.Overlap == 0 {
		old.Status, old.RevokedAt, old.ReplacedUntil, old.DeleteAfter = StatusRevoked, &now, &now, now.Add(s.cfg.RevokedRetention)
		return
	}
	until := now.Add(in.Overlap)
	if old.ExpiresAt != nil && old.ExpiresAt.Before(until) {
		until = *old.ExpiresAt
	}
	old.ReplacedUntil, old.ExpiresAt = &until, &until
	s.schedule(old)
}

// ReusePeriod is the least time between two reports of the reuse of one
// replaced token: a stolen copy used in a loop makes one mail a day.
const ReusePeriod = 24 * time.Hour

// ReplacedEnded reports whether a use of t at now is a reuse: t was
// replaced by a rotation and its overlap, if any, has ended (or its
// owner revoked it early). A locked token is locked, whatever else.
func (t Token) ReplacedEnded(now time.Time) bool {
	return t.ReplacedBy != "" && t.Status != StatusLocked && !t.Usable(now)
}

// ShouldReportReuse reports whether a reuse at now should be reported,
// given the last report: at most once per token per ReusePeriod.
func ShouldReportReuse(last *time.Time, now time.Time) bool {
	return last == nil || now.Sub(*last) >= ReusePeriod
}

// ActorAuthorizer is the audit actor of the authorizer's reports.
const ActorAuthorizer = "authorizer"

// ReuseReport is what the authorizer writes, at most once per token per
// ReusePeriod, when a replaced token is used after its end: the report on
// the token, its audit event and, when the rotation asked for it, the
// revocation of the replacement with its own audit event.
type ReuseReport struct {
	Token Token     // the replaced token, as read for the decision
	At    time.Time // when it was used
	// Since: a report after it is already written; then nothing is.
	Since      time.Time
	Event      Event  // ActionReuseDetected on Token
	Revocation *Event // ActionRevoked of Token.ReplacedBy; nil: it stays
	// Notice is the owner's mail, as data (Notice.Reuse): the lifecycle
	// job composes and sends it.
	Notice Notice
}

// NewReuseReport is the report of a use of t at at from sourceIP, which
// t.ReplacedEnded(at) says is a reuse; its events are kept for retention
// (the audit trail's), and newID makes their ids.
func NewReuseReport(t Token, at time.Time, sourceIP string, retention time.Duration, newID func() (string, error)) (ReuseReport, error) {
	at = at.UTC().Truncate(time.Microsecond)
	r := ReuseReport{Token: t, At: at, Since: at.Add(-ReusePeriod)}
	details := map[string]string{"replacedBy": t.ReplacedBy}
	if t.ReplacedUntil != nil {
		details["replacedUntil"] = t.ReplacedUntil.Format(time.RFC3339)
	}
	if t.RevokeReplacementOnReuse {
		details["replacementRevoked"] = "true"
	}
	event := func(tokenID, action string, details map[string]string) (Event, error) {
		id, err := newID()
		if err != nil {
			return Event{}, fmt.Errorf("generate event id: %w", err)
		}
		return Event{ID: id, Time: at, Action: action, TokenID: tokenID, OwnerID: t.UserID, ActorID: ActorAuthorizer, ActorRole: RoleAuthorizer,
			Outcome: "success", SourceIP: sourceIP, Details: details, ExpiresAt: at.Add(retention)}, nil
	}
	var err error
	if r.Event, err = event(t.ID, ActionReuseDetected, details); err != nil {
		return ReuseReport{}, err
	}
	if t.RevokeReplacementOnReuse {
		ev, err := event(t.ReplacedBy, ActionRevoked, map[string]string{"reason": "the token it replaced was used after its end", "reuseOf": t.ID})
		if err != nil {
			return ReuseReport{}, err
		}
		r.Revocation = &ev
	}
	noticeID, err := newID()
	if err != nil {
		return ReuseReport{}, fmt.Errorf("generate notice id: %w", err)
	}
	r.Notice = Notice{ID: noticeID, UserID: t.UserID, Reuse: &ReuseNotice{TokenID: t.ID, TokenName: t.Name, OwnerEmail: t.OwnerEmail,
		ReplacedBy: t.ReplacedBy, At: at, SourceIP: sourceIP, ReplacementRevoked: r.Revocation != nil}}
	return r, nil
}
