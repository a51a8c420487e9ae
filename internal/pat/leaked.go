package pat

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// A leaked token is one found where others can read it: reported by a
// secret scanner (GitHub's secret-scanning partner program) or by a person
// (its owner, an administrator). It is revoked at once, with the audit
// action ActionLeaked, the place it was found kept in the event's details,
// and its owner and the administrators are mailed.

// Limits of what a leak report carries.
const (
	MaxLeakURLLen = 2000
	MaxLeakNote   = MaxReasonLen
	// LeakReportTTL is how long a scanner's report is remembered, so that
	// the same report sent again is refused; later, a replay still changes
	// nothing, since a revoked token is not revoked again.
	LeakReportTTL = 7 * 24 * time.Hour
)

// ScannerGitHub is the audit actor of GitHub's secret-scanning reports.
const ScannerGitHub = "github-secret-scanning"

// Leak says where a token was found.
type Leak struct {
	URL    string // where it was found, if known
	Source string // the kind of place, as a scanner names it ("content", "commit", ...)
	Note   string // a person's words
}

// details is the leak as an audit event's details.
func (l Leak) details(reportedBy string) map[string]string {
	d := map[string]string{"reason": "leaked", "reportedBy": reportedBy}
	for k, v := range map[string]string{"url": l.URL, "source": l.Source, "note": l.Note} {
		if v != "" {
			d[k] = v
		}
	}
	return d
}

// FoundToken is one token a secret scanner reports found in public.
type FoundToken struct {
	Token string // the whole token as found: never stored, logged or echoed but to the scanner
	Leak  Leak
}

// LeakNotifier composes the mails of a leaked token: to its owner and to
// the administrators. Each may be left out (no address).
type LeakNotifier interface {
	LeakNotices(ctx context.Context, t Token, leak Leak, reporter Identity, at time.Time) ([]Message, error)
}

// LeakReportStore remembers scanners' reports by the digest of their
// body, so that one sent again is refused.
type LeakReportStore interface {
	// LeakReportSeen reports whether a report was recorded.
	LeakReportSeen(ctx context.Context, digest []byte) (bool, error)
	// RecordLeakReport remembers a processed report until expires; one
	// recorded already stays as it is.
	RecordLeakReport(ctx context.Context, digest []byte, expires time.Time) error
}

// SetLeakNotifier makes the service mail owners and administrators of
// leaked tokens. Without one, nobody is mailed.
func (s *Service) SetLeakNotifier(n LeakNotifier) { s.leakNotifier = n }

// ReportLeaks acts on a scanner's verified report (its body's SHA-256 is
// digest): every reported token that is ours (well-formed, with a valid
// checksum, and its digest that of a stored token) and still usable
// (active or locked, not expired) is revoked at once as leaked, and its
// owner and the administrators are mailed. ours[i] says whether found[i]
// is one of our tokens, dead or alive. A token that is not ours, or dead
// already, changes nothing. A report is recorded once it is processed,
// and the same report sent again is refused with CodeConflict; a run that
// failed records nothing, so the scanner's retry runs again and revokes
// only what the failed run left (two copies at once both run: each
// revocation happens once).
func (s *Service) ReportLeaks(ctx context.Context, digest []byte, found []FoundToken, consoleURL string) ([]bool, error) {
	seen, err := s.leakReports.LeakReportSeen(ctx, digest)
	switch {
	case err != nil:
		return nil, err
	case seen:
		return nil, Errorf(CodeConflict, "this report was received already")
	}
	now := s.now()
	scanner := Identity{UserID: ScannerGitHub, ConsoleURL: consoleURL}
	ours := make([]bool, len(found))
	for i, f := range found {
		t, ok, err := s.leakedToken(ctx, f.Token)
		if err != nil {
			return nil, err
		}
		ours[i] = ok
		if !ok || !usable(t, now) {
			continue
		}
		leak, err := s.cleanLeak(f.Leak)
		if err != nil {
			leak = Leak{} // a place we would not show: the report still revokes
		}
		if _, err := s.revokeLeaked(ctx, RoleScanner, scanner, t, leak); err != nil && ErrorCode(err) != CodeTokenNotActive {
			return nil, err
		}
	}
	if err := s.leakReports.RecordLeakReport(ctx, digest, now.Add(LeakReportTTL)); err != nil {
		return nil, err
	}
	return ours, nil
}

// leakedToken reads the stored token a reported one is: ok false when it
// is not ours (another format, a bad checksum, no such token, or another
// secret for its id).
func (s *Service) leakedToken(ctx context.Context, raw string) (Token, bool, error) {
	parsed, err := s.format.Parse(raw)
	if err != nil {
		return Token{}, false, nil
	}
	t, err := s.tokens.GetToken(ctx, parsed.ID)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return Token{}, false, nil
	case err != nil:
		return Token{}, false, fmt.Errorf("read reported token %s: %w", parsed.ID, err)
	}
	d := parsed.Digest()
	if !d.Equal(t.Digest) {
		return Token{}, false, nil
	}
	return t, true, nil
}

// usable: the token would be accepted now, or after an unlock.
func usable(t Token, now time.Time) bool {
	s := t.StatusAt(now)
	return s == StatusActive || s == StatusLocked
}

// LeakInput is a person's report of a leaked token: where, and a note.
type LeakInput struct {
	URL  string
	Note string
}

// ReportLeakedToken revokes one of the caller's tokens as leaked. A
// disabled owner may report: it only takes access away.
func (s *Service) ReportLeakedToken(ctx context.Context, id Identity, tokenID string, in LeakInput) (Token, error) {
	leak, err := s.cleanLeak(Leak{URL: in.URL, Note: in.Note})
	if err != nil {
		return Token{}, err
	}
	t, err := s.own(ctx, id, tokenID)
	if err != nil {
		return Token{}, err
	}
	return s.reportLeaked(ctx, RoleUser, id, t, leak)
}

// AdminReportLeakedToken revokes any user's token as leaked.
func (s *Service) AdminReportLeakedToken(ctx context.Context, id Identity, tokenID string, in LeakInput) (Token, error) {
	leak, err := s.cleanLeak(Leak{URL: in.URL, Note: in.Note})
	if err != nil {
		return Token{}, err
	}
	t, err := s.AdminGetToken(ctx, id, tokenID)
	if err != nil {
		return Token{}, err
	}
	return s.reportLeaked(ctx, RoleAdmin, id, t, leak)
}

// reportLeaked is a person's report: a token that is dead already is
// refused (CodeTokenNotActive), since reporting it changes nothing.
func (s *Service) reportLeaked(ctx context.Context, role Role, id Identity, t Token, leak Leak) (Token, error) {
	if now := s.now(); !usable(t, now) {
		return Token{}, Errorf(CodeTokenNotActive, "token %s is %s already: it cannot be used, so there is nothing to revoke", t.ID, t.StatusAt(now))
	}
	return s.revokeLeaked(ctx, role, id, t, leak)
}

// revokeLeaked revokes t as leaked, with its audit event and the mails to
// its owner and the administrators in the same transaction, and sends the
// mails. CodeTokenNotActive: it was revoked (or expired) meanwhile.
func (s *Service) revokeLeaked(ctx context.Context, role Role, id Identity, t Token, leak Leak) (Token, error) {
	now := s.now()
	t.Status, t.RevokedAt, t.DeleteAfter = StatusRevoked, &now, now.Add(s.cfg.RevokedRetention)
	ev, err := s.eventAs(role, id, t, ActionLeaked, leak.details(id.UserID))
	if err != nil {
		return Token{}, err
	}
	var notices []Notice
	if s.leakNotifier != nil {
		msgs, err := s.leakNotifier.LeakNotices(ctx, t, leak, id, now)
		if err != nil {
			return Token{}, fmt.Errorf("compose leak notices for %s: %w", t.ID, err)
		}
		for _, m := range msgs {
			noticeID, err := s.format.NewID()
			if err != nil {
				return Token{}, fmt.Errorf("generate notice id: %w", err)
			}
			notices = append(notices, Notice{ID: noticeID, UserID: m.UserID, Message: m})
		}
	}
	if err := s.tokens.RevokeLeaked(ctx, t, ev, notices); err != nil {
		return Token{}, fmt.Errorf("revoke leaked token %s: %w", t.ID, err)
	}
	s.log.InfoContext(ctx, "token revoked as leaked", "tokenId", t.ID, "userId", t.UserID, "actorId", id.UserID, "role", role, "url", leak.URL)
	s.deliver(ctx, notices)
	return t, nil
}

// cleanLeak checks a leak's URL (absolute http or https, if any) and
// note, and refuses either if it holds a token of ours: both are stored
// and mailed, and a token is never.
func (s *Service) cleanLeak(l Leak) (Leak, error) {
	if regexp.MustCompile(s.format.Pattern()).MatchString(l.URL + " " + l.Note + " " + l.Source) {
		return Leak{}, Errorf(CodeInvalid, "url, note: hold a token; give where it was found, never the token itself")
	}
	note, err := cleanText("note", l.Note, MaxLeakNote)
	if err != nil {
		return Leak{}, err
	}
	l.Note, l.URL = note, strings.TrimSpace(l.URL)
	if l.URL != "" {
		u, err := url.Parse(l.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(l.URL) > MaxLeakURLLen || u.User != nil ||
			strings.ContainsFunc(l.URL, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return Leak{}, Errorf(CodeInvalid, "url: want an http or https address of at most %d characters, without spaces or credentials", MaxLeakURLLen)
		}
	}
	if l.Source, err = cleanText("source", l.Source, 100); err != nil {
		return Leak{}, err
	}
	return l, nil
}
