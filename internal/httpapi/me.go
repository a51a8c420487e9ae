package httpapi

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/version"
)

// meJSON is what the console needs to know about its user: who they are,
// whether to show the administrators' pages, which scopes to offer and
// which lifetimes to allow; and the service's release, for its footer.
type meJSON struct {
	ID                   string         `json:"id"`
	Email                string         `json:"email"`
	IsAdmin              bool           `json:"isAdmin"`
	Status               pat.UserStatus `json:"status"`
	EffectivePermissions []string       `json:"effectivePermissions"` // the scopes a token created now may hold
	Limited              bool           `json:"limited"`              // an administrator narrowed them
	ActiveTokens         int            `json:"activeTokens"`
	Catalog              []resourceJSON `json:"catalog"`
	DefaultExpiryDays    int            `json:"defaultExpiryDays"`
	MaxExpiryDays        int            `json:"maxExpiryDays"`
	AllowNeverExpires    bool           `json:"allowNeverExpires"`
	MaxActiveTokens      int            `json:"maxActiveTokens"`
	ExpiryReminderDays   int            `json:"expiryReminderDays"` // the first expiry reminder's days before expiry (0: none): the console marks tokens within it
	// LastUsedIntervalMinutes is how often at most a token's use is
	// recorded: the console says how fresh "last used" is.
	LastUsedIntervalMinutes int    `json:"lastUsedIntervalMinutes"`
	Version                 string `json:"version"`
	// Language is the language the user chose for their mail (nil: none,
	// so their identity provider's locale or the deployment's default
	// applies).
	Language *string `json:"language"`
	// OwnScopes are the scopes the user may give their own tokens
	// whatever their permissions (scope.OwnScopes): tokens:self-rotate.
	OwnScopes []string `json:"ownScopes"`
}

type resourceJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Actions     []string `json:"actions"`
	Paths       []string `json:"paths"` // the API paths it covers, for usage examples
}

// GetMe: GET /me.
func (a *API) GetMe(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		u, err := a.svc.GetMe(ctx, id)
		return 200, a.meView(id, u), err
	})
}

// updateMeRequest is PATCH /me's body: the language of the caller's mail,
// or null (or "") for none.
type updateMeRequest struct {
	Language *string `json:"language"`
}

// UpdateMe: PATCH /me, the caller's choice of language for their mail.
func (a *API) UpdateMe(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return a.serve(ctx, req, func(id pat.Identity) (int, any, error) {
		var body updateMeRequest
		if err := decodeBody(req, &body); err != nil {
			return 0, nil, err
		}
		var lang string
		if body.Language != nil {
			lang = *body.Language
		}
		u, err := a.svc.UpdateMe(ctx, id, lang)
		return 200, a.meView(id, u), err
	})
}

func (a *API) meView(id pat.Identity, u pat.User) meJSON {
	rules := a.svc.Rules()
	v := meJSON{ID: u.ID, Email: u.Email, IsAdmin: id.Admin, Status: u.Status, EffectivePermissions: nonNil(u.Effective()),
		Limited: u.Limited, ActiveTokens: u.ActiveTokens, DefaultExpiryDays: days(rules.DefaultLifetime),
		MaxExpiryDays: days(rules.MaxLifetime), AllowNeverExpires: rules.AllowNeverExpires, MaxActiveTokens: rules.MaxActiveTokens,
		ExpiryReminderDays: slices.Max(append([]int{0}, rules.Lifecycle.ExpiryReminders...)), Version: version.Version,
		LastUsedIntervalMinutes: int(rules.LastUseInterval / time.Minute),
		OwnScopes:               scope.OwnScopes}
	if u.Language != "" {
		v.Language = &u.Language
	}
	for _, r := range a.catalog.Resources {
		v.Catalog = append(v.Catalog, resourceJSON{Name: r.Name, Description: r.Description, Actions: scope.Actions, Paths: r.Paths})
	}
	return v
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }
