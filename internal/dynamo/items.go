package dynamo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

// Times are stored as fixed-width UTC strings, readable in a table dump and
// ordered like the instants they name.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatOptional(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

func parseOptional(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func tokenPK(id string) string { return "TOKEN#" + id }

// auditPK is the partition of an event: its token's trail or, for an event
// about a user (no token), the user's.
func auditPK(ev pat.Event) string {
	if ev.TokenID == "" {
		return "USER#" + ev.OwnerID
	}
	return tokenPK(ev.TokenID)
}
func ownerIndexPK(id string) string { return "USER#" + id }

func tokenKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: tokenPK(id)}, "sk": &types.AttributeValueMemberS{Value: "TOKEN"}}
}

// userKey is keyed by the user's owner tag, which every token id of the
// user starts with: the authorizer reads token and owner in one request.
func userKey(id string) map[string]types.AttributeValue {
	return ownerKey(token.OwnerTag(id))
}

func ownerKey(tag string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "OWNER#" + tag}, "sk": &types.AttributeValueMemberS{Value: "USER"}}
}

// ownerSort orders a user's tokens by creation; the id makes it unique.
func ownerSort(t pat.Token) string { return formatTime(t.CreatedAt) + "#" + t.ID }

// eventSort orders a token's events by time; the id makes it unique.
func eventSort(ev pat.Event) string { return formatTime(ev.Time) + "#" + ev.ID }

type tokenItem struct {
	PK          string   `dynamodbav:"pk"`
	SK          string   `dynamodbav:"sk"`
	OwnerPK     string   `dynamodbav:"ownerPk"`
	OwnerSK     string   `dynamodbav:"ownerSk"`
	ID          string   `dynamodbav:"id"`
	UserID      string   `dynamodbav:"userId"`
	Name        string   `dynamodbav:"name"`
	Description string   `dynamodbav:"description"`
	Scopes      []string `dynamodbav:"scopes"`
	// AllowedSources is the token's source-address limit (CIDR ranges);
	// absent: none. The authorizer's one read of the item brings it.
	AllowedSources []string `dynamodbav:"allowedSources,omitempty"`
	Digest         []byte   `dynamodbav:"digest,omitempty"`
	Status         string   `dynamodbav:"status"`
	CreatedAt      string   `dynamodbav:"createdAt"`
	ExpiresAt      string   `dynamodbav:"expiresAt,omitempty"`
	Lifetime       int64    `dynamodbav:"lifetime,omitempty"` // seconds; absent on tokens older than it
	LastUsedAt     string   `dynamodbav:"lastUsedAt,omitempty"`
	LastUsedIP     string   `dynamodbav:"lastUsedIp,omitempty"`
	LastUsedUA     string   `dynamodbav:"lastUsedUserAgent,omitempty"`
	RevokedAt      string   `dynamodbav:"revokedAt,omitempty"`
	ReplacedBy     string   `dynamodbav:"replacedBy,omitempty"`
	// ReplacedUntil is when a replaced token stops working; ReuseReportedAt
	// when the authorizer last reported its use after that (one report a
	// pat.ReusePeriod); RevokeReplacement asks such a use to revoke the
	// replacement too.
	ReplacedUntil     string `dynamodbav:"replacedUntil,omitempty"`
	ReuseReportedAt   string `dynamodbav:"reuseReportedAt,omitempty"`
	RevokeReplacement bool   `dynamodbav:"revokeReplacementOnReuse,omitempty"`
	RevokedOnReuseAt  string `dynamodbav:"revokedOnReuseAt,omitempty"`
	TTL               int64  `dynamodbav:"ttl,omitempty"`
	ExtendedAt        string `dynamodbav:"extendedAt,omitempty"`
	OwnerEmail        string `dynamodbav:"ownerEmail,omitempty"`
	// Notices is never null: the job sets entries of it by path.
	Notices map[string]string `dynamodbav:"notices"`
	// DueDay and DueAt key the due index; absent, the token is not in it.
	DueDay string `dynamodbav:"dueDay,omitempty"`
	DueAt  string `dynamodbav:"dueAt,omitempty"`
	// The owner's state for the authorizer (pat.OwnerState); absent on
	// tokens created before it was kept: the authorizer then reads the owner.
	OwnerStatus string `dynamodbav:"ownerStatus,omitempty"`
	OwnerScopes string `dynamodbav:"ownerScopes,omitempty"`
	OwnerRev    int    `dynamodbav:"ownerRev,omitempty"`
	// IssuedBy is "admin" for a token an administrator created for its
	// owner; absent (older tokens too) it is the owner's own.
	IssuedBy string `dynamodbav:"issuedBy,omitempty"`
	// ListPK and ListSK place the token in the all-tokens list (ListIndex,
	// tokenlist.go); absent on tokens older than it until the backfill.
	ListPK string `dynamodbav:"listPk,omitempty"`
	ListSK string `dynamodbav:"listSk,omitempty"`
}

func encodeToken(t pat.Token) tokenItem {
	it := tokenItem{
		PK: tokenPK(t.ID), SK: "TOKEN", OwnerPK: ownerIndexPK(t.UserID), OwnerSK: ownerSort(t),
		ID: t.ID, UserID: t.UserID, Name: t.Name, Description: t.Description, Scopes: t.Scopes, AllowedSources: t.AllowedSources, Digest: t.Digest,
		Status: string(t.Status), CreatedAt: formatTime(t.CreatedAt), ExpiresAt: formatOptional(t.ExpiresAt),
		LastUsedAt: formatOptional(t.LastUsedAt), LastUsedIP: t.LastUsedIP, LastUsedUA: t.LastUsedUA, RevokedAt: formatOptional(t.RevokedAt), ReplacedBy: t.ReplacedBy,
		Lifetime:      int64(t.Lifetime / time.Second),
		ReplacedUntil: formatOptional(t.ReplacedUntil), ReuseReportedAt: formatOptional(t.ReuseReportedAt), RevokeReplacement: t.RevokeReplacementOnReuse,
		RevokedOnReuseAt: formatOptional(t.RevokedOnReuseAt),
	}
	if !t.DeleteAfter.IsZero() {
		it.TTL = t.DeleteAfter.Unix()
	}
	it.ExtendedAt, it.OwnerEmail, it.Notices = formatOptional(t.ExtendedAt), t.OwnerEmail, t.Notices
	if it.Notices == nil {
		it.Notices = map[string]string{}
	}
	it.DueDay, it.DueAt = dueKeys(t.DueAt)
	it.ListPK, it.ListSK = tokensByCreated, ownerSort(t)
	it.OwnerStatus, it.OwnerScopes, it.OwnerRev = string(t.Owner.Status), strings.Join(t.Owner.Scopes, " "), t.Owner.Rev
	if t.IssuedBy == pat.RoleAdmin {
		it.IssuedBy = string(pat.RoleAdmin)
	}
	return it
}

// dueKeys are the due index's keys for a due time: its UTC day and the time.
func dueKeys(at *time.Time) (day, when string) {
	if at == nil {
		return "", ""
	}
	return dueDay(*at), formatTime(*at)
}

func dueDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func decodeToken(item map[string]types.AttributeValue) (pat.Token, error) {
	var it tokenItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return pat.Token{}, fmt.Errorf("decode token: %w", err)
	}
	t := pat.Token{ID: it.ID, UserID: it.UserID, Name: it.Name, Description: it.Description, Scopes: it.Scopes, AllowedSources: it.AllowedSources,
		Digest: it.Digest, Status: pat.Status(it.Status), ReplacedBy: it.ReplacedBy, LastUsedIP: it.LastUsedIP, LastUsedUA: it.LastUsedUA,
		Lifetime: time.Duration(it.Lifetime) * time.Second}
	created, err1 := time.Parse(timeLayout, it.CreatedAt)
	expires, err2 := parseOptional(it.ExpiresAt)
	lastUsed, err3 := parseOptional(it.LastUsedAt)
	revoked, err4 := parseOptional(it.RevokedAt)
	extended, err5 := parseOptional(it.ExtendedAt)
	due, err6 := parseOptional(it.DueAt)
	replacedUntil, err7 := parseOptional(it.ReplacedUntil)
	reuseReported, err8 := parseOptional(it.ReuseReportedAt)
	revokedOnReuse, err9 := parseOptional(it.RevokedOnReuseAt)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9); err != nil {
		return pat.Token{}, fmt.Errorf("decode token %s: %w", it.ID, err)
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = created, expires, lastUsed, revoked
	t.ExtendedAt, t.DueAt, t.OwnerEmail, t.Notices = extended, due, it.OwnerEmail, it.Notices
	t.ReplacedUntil, t.ReuseReportedAt, t.RevokeReplacementOnReuse = replacedUntil, reuseReported, it.RevokeReplacement
	t.RevokedOnReuseAt = revokedOnReuse
	if t.ReplacedUntil == nil && t.ReplacedBy != "" {
		// Read from the owner index, which does not project it, or
		// replaced before it was kept: a replacement revoked it at once,
		// an overlap moved its expiry to the overlap's end.
		t.ReplacedUntil = revoked
		if t.Status == pat.StatusActive {
			t.ReplacedUntil = expires
		}
	}
	t.Owner = pat.OwnerState{Status: pat.UserStatus(it.OwnerStatus), Scopes: strings.Fields(it.OwnerScopes), Rev: it.OwnerRev}
	t.IssuedBy = pat.RoleUser
	if it.IssuedBy == string(pat.RoleAdmin) {
		t.IssuedBy = pat.RoleAdmin
	}
	if it.TTL > 0 {
		t.DeleteAfter = time.Unix(it.TTL, 0).UTC()
	}
	return t, nil
}

type userItem struct {
	ID          string `dynamodbav:"id"`
	Name        string `dynamodbav:"name"`
	Email       string `dynamodbav:"email"`
	Permissions string `dynamodbav:"permissions"`
	Status      string `dynamodbav:"status"`
	// PermissionLimit, when present, is an administrator's limit (scopes,
	// space-separated; empty: none).
	PermissionLimit *string `dynamodbav:"permissionLimit"`
	ActiveTokens    int     `dynamodbav:"activeTokens"`
	// Rev counts changes of status and permissions; LiveTokens lists the
	// active and locked tokens (a string set), whose copies of the owner's
	// state (ownerStatus, ownerScopes, ownerRev) such a change rewrites;
	// TokensRev counts changes of that list.
	Rev        int      `dynamodbav:"rev"`
	LiveTokens []string `dynamodbav:"liveTokens,stringset"`
	TokensRev  int      `dynamodbav:"tokensRev"`
	// Mail to UnreachableEmail was refused for good or bounced: it says
	// nothing about a newer address.
	UnreachableAt    string `dynamodbav:"unreachableAt"`
	UnreachableEmail string `dynamodbav:"unreachableEmail"`
	UnreachableCause string `dynamodbav:"unreachableCause"`
	// Lang is the language the user chose for their mail; Locale their
	// identity provider's locale claim at the last sign-in that sent one.
	Lang   string `dynamodbav:"lang"`
	Locale string `dynamodbav:"locale"`
	// The user's entries in the directory (directory.go): the record's
	// sort key in the name order, and the name and address they were
	// written from.
	ListSK   string `dynamodbav:"listSk"`
	DirName  string `dynamodbav:"dirName"`
	DirEmail string `dynamodbav:"dirEmail"`
}

func decodeUser(item map[string]types.AttributeValue) (pat.User, error) {
	var it userItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return pat.User{}, fmt.Errorf("decode user: %w", err)
	}
	u := pat.User{ID: it.ID, Name: it.Name, Email: it.Email, Permissions: strings.Fields(it.Permissions), Status: pat.UserStatus(it.Status), ActiveTokens: it.ActiveTokens, Rev: it.Rev,
		Language: it.Lang, Locale: it.Locale}
	if it.PermissionLimit != nil {
		u.Limited, u.Limit = true, strings.Fields(*it.PermissionLimit)
	}
	if it.UnreachableEmail != "" && strings.EqualFold(it.UnreachableEmail, it.Email) {
		at, err := time.Parse(timeLayout, it.UnreachableAt)
		if err != nil {
			return pat.User{}, fmt.Errorf("decode user: unreachableAt: %w", err)
		}
		u.Unreachable, u.UnreachableCause = &at, it.UnreachableCause
	}
	return u, nil
}

type eventItem struct {
	PK       string            `dynamodbav:"pk"`
	SK       string            `dynamodbav:"sk"`
	ID       string            `dynamodbav:"id"`
	Time     string            `dynamodbav:"time"`
	Action   string            `dynamodbav:"action"`
	TokenID  string            `dynamodbav:"tokenId"`
	OwnerID  string            `dynamodbav:"ownerId"`
	ActorID  string            `dynamodbav:"actorId"`
	Role     string            `dynamodbav:"actorRole"`
	Month    string            `dynamodbav:"month"` // the month index's key
	Outcome  string            `dynamodbav:"outcome"`
	SourceIP string            `dynamodbav:"sourceIp,omitempty"`
	Details  map[string]string `dynamodbav:"details,omitempty"`
	TTL      int64             `dynamodbav:"ttl"`
}

func encodeEvent(ev pat.Event) eventItem {
	return eventItem{PK: auditPK(ev), SK: eventSort(ev), ID: ev.ID, Time: formatTime(ev.Time), Action: ev.Action,
		TokenID: ev.TokenID, OwnerID: ev.OwnerID, ActorID: ev.ActorID, Role: string(ev.ActorRole), Month: ev.Time.UTC().Format("2006-01"), Outcome: ev.Outcome, SourceIP: ev.SourceIP,
		Details: maps.Clone(ev.Details), TTL: ev.ExpiresAt.Unix()}
}

func decodeEvent(item map[string]types.AttributeValue) (pat.Event, error) {
	var it eventItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return pat.Event{}, fmt.Errorf("decode event: %w", err)
	}
	at, err := time.Parse(timeLayout, it.Time)
	if err != nil {
		return pat.Event{}, fmt.Errorf("decode event %s: %w", it.ID, err)
	}
	return pat.Event{ID: it.ID, Time: at, Action: it.Action, TokenID: it.TokenID, OwnerID: it.OwnerID, ActorID: it.ActorID, ActorRole: pat.Role(it.Role),
		Outcome: it.Outcome, SourceIP: it.SourceIP, Details: it.Details, ExpiresAt: time.Unix(it.TTL, 0).UTC()}, nil
}

type keepLinkItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	TokenID   string `dynamodbav:"tokenId"`
	UserID    string `dynamodbav:"userId"`
	Purpose   string `dynamodbav:"purpose"`
	ExpiresAt string `dynamodbav:"expiresAt"`
	UsedAt    string `dynamodbav:"usedAt,omitempty"`
	TTL       int64  `dynamodbav:"ttl"`
}

// linkKey keys a keep link by the digest of its code: the code itself is
// never stored.
func linkKey(digest []byte) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "LINK#" + hex.EncodeToString(digest)}, "sk": &types.AttributeValueMemberS{Value: "LINK"}}
}
