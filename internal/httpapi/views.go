package httpapi

import (
	"time"

	"github.com/patservice/pat/internal/pat"
)

// tokenJSON is a token as the API shows it: never the secret or its digest.
type tokenJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Scopes      []string `json:"scopes"`
	// AllowedSources: the CIDR ranges the token may be used from; [] anywhere.
	AllowedSources []string   `json:"allowedSources"`
	Status         pat.Status `json:"status"`
	DisplayPrefix  string     `json:"displayPrefix"`
	CreatedAt      time.Time  `json:"createdAt"`
	ExpiresAt      *time.Time `json:"expiresAt"`
	LastUsedAt     *time.Time `json:"lastUsedAt"`
	LastUsedIP     string     `json:"lastUsedIp,omitempty"`
	LastUsedUA     string     `json:"lastUsedUserAgent,omitempty"`
	ExtendedAt     *time.Time `json:"extendedAt,omitempty"`
	RevokedAt      *time.Time `json:"revokedAt,omitempty"`
	ReplacedBy     string     `json:"replacedBy,omitempty"`
	ReplacedUntil  *time.Time `json:"replacedUntil,omitempty"`
}

// createdJSON adds the plaintext token, shown this once.
type createdJSON struct {
	tokenJSON
	Token string `json:"token"`
}

// adminTokenJSON adds whose token it is.
type adminTokenJSON struct {
	tokenJSON
	UserID     string `json:"userId"`
	OwnerEmail string `json:"ownerEmail,omitempty"`
}

// adminCreatedJSON is a token an administrator created for a user, with
// its plaintext shown this once, to the administrator.
type adminCreatedJSON struct {
	adminTokenJSON
	Token string `json:"token"`
}

type eventJSON struct {
	ID        string            `json:"id"`
	Time      time.Time         `json:"time"`
	Action    string            `json:"action"`
	TokenID   string            `json:"tokenId,omitempty"`
	OwnerID   string            `json:"ownerId"`
	ActorID   string            `json:"actorId,omitempty"` // absent in an owner's view of an administrator's action
	ActorRole pat.Role          `json:"actorRole,omitempty"`
	Outcome   string            `json:"outcome"`
	SourceIP  string            `json:"sourceIp,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
}

type listJSON[T any] struct {
	Items      []T        `json:"items"`
	NextCursor string     `json:"nextCursor,omitempty"`
	Total      *totalJSON `json:"total,omitempty"`
}

type totalJSON struct {
	Count int  `json:"count"`
	More  bool `json:"more"`
}

func (a *API) tokenView(t pat.Token) tokenJSON {
	return tokenJSON{
		ID: t.ID, Name: t.Name, Description: t.Description, Scopes: t.Scopes, AllowedSources: nonNil(t.AllowedSources), Status: t.StatusAt(a.svc.Now()),
		DisplayPrefix: a.svc.Format().Prefix() + "_" + t.ID, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		LastUsedAt: t.LastUsedAt, LastUsedIP: t.LastUsedIP, LastUsedUA: t.LastUsedUA, ExtendedAt: t.ExtendedAt, RevokedAt: t.RevokedAt, ReplacedBy: t.ReplacedBy,
		ReplacedUntil: t.ReplacedUntil,
	}
}

func (a *API) created(c pat.Created) createdJSON {
	return createdJSON{tokenJSON: a.tokenView(c.Token), Token: c.Secret}
}

func eventView(e pat.Event) eventJSON {
	return eventJSON{ID: e.ID, Time: e.Time, Action: e.Action, TokenID: e.TokenID, OwnerID: e.OwnerID, ActorID: e.ActorID,
		ActorRole: e.ActorRole, Outcome: e.Outcome, SourceIP: e.SourceIP, Details: e.Details}
}

// ownerEventView is an event on the trail of viewer's own token. An
// administrator's action shows as "an administrator": the role, without
// their user id or source IP, as GitHub shows a site administrator's
// action to the account's owner. Administrators' own audit view
// (GET /admin/audit) keeps both.
func ownerEventView(viewer string) func(pat.Event) eventJSON {
	return func(e pat.Event) eventJSON {
		v := eventView(e)
		if e.ActorRole == pat.RoleAdmin && e.ActorID != viewer {
			v.ActorID, v.SourceIP = "", ""
		}
		return v
	}
}

func (a *API) adminTokenView(t pat.Token) adminTokenJSON {
	return adminTokenJSON{tokenJSON: a.tokenView(t), UserID: t.UserID, OwnerEmail: t.OwnerEmail}
}

type userJSON struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"` // from the identity provider; "" when it gives none
	Email                string         `json:"email"`
	Status               pat.UserStatus `json:"status"`
	Permissions          []string       `json:"permissions"`          // from the identity provider, at the last sign-in
	PermissionLimit      []string       `json:"permissionLimit"`      // an administrator's limit; null: none
	EffectivePermissions []string       `json:"effectivePermissions"` // what the user's tokens may do now
	ActiveTokens         int            `json:"activeTokens"`
}

func userView(u pat.User) userJSON {
	v := userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Status: u.Status, Permissions: nonNil(u.Permissions),
		EffectivePermissions: nonNil(u.Effective()), ActiveTokens: u.ActiveTokens}
	if u.Limited {
		v.PermissionLimit = nonNil(u.Limit)
	}
	return v
}

// revokeAllJSON is a preview ({preview, count}) or what a revoke-all did
// ({revoked, complete}), never a mix that reads as both.
type revokeAllJSON struct {
	Preview  bool  `json:"preview,omitempty"`
	Count    *int  `json:"count,omitempty"` // preview: how many it would revoke; send it back as confirm
	Revoked  *int  `json:"revoked,omitempty"`
	Complete *bool `json:"complete,omitempty"` // false: it ran out of time; preview and repeat to finish
}

func revokeAllView(r pat.RevokeAllResult, preview bool) revokeAllJSON {
	if preview {
		return revokeAllJSON{Preview: true, Count: &r.Count}
	}
	return revokeAllJSON{Revoked: &r.Revoked, Complete: &r.Complete}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func listOf[T, V any](page pat.Page[T], view func(T) V) listJSON[V] {
	out := listJSON[V]{Items: make([]V, 0, len(page.Items)), NextCursor: page.Next}
	if page.Total != nil {
		out.Total = &totalJSON{Count: page.Total.Count, More: page.Total.More}
	}
	for _, item := range page.Items {
		out.Items = append(out.Items, view(item))
	}
	return out
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, pat.Errorf(pat.CodeInvalid, "%s: want an RFC 3339 date-time such as 2027-01-31T00:00:00Z", field)
	}
	return t, nil
}
