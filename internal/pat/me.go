package pat

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/patservice/pat/internal/i18n"
)

// GetMe returns the caller as the console needs them: their account's status
// and an administrator's limit from the stored record, with the permissions
// of this session (what the next create or rotate would store). Its
// Effective() is therefore this session's grants narrowed by the limit: what
// a token created now may hold. It only reads; a caller never seen before is
// an active user with no record yet.
func (s *Service) GetMe(ctx context.Context, id Identity) (User, error) {
	u, err := s.users.GetUser(ctx, id.UserID)
	if errors.Is(err, ErrUserNotFound) {
		u, err = User{ID: id.UserID, Status: UserActive}, nil
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id.UserID, err)
	}
	u.Email, u.Permissions = id.Email, id.Permissions
	return u, nil
}

// UpdateMe records the language the caller chose for their mail: a
// language the service speaks ("de", "nl", "en"), or "" to choose none,
// after which their identity provider's locale, else the deployment's
// default, applies. Anything else is refused and changes nothing.
func (s *Service) UpdateMe(ctx context.Context, id Identity, lang string) (User, error) {
	if lang != "" && !slices.Contains(i18n.Languages(), i18n.Lang(lang)) {
		return User{}, Errorf(CodeInvalid, "language: want one of %v, or null for none", i18n.Languages())
	}
	if _, err := s.activeUser(ctx, id); err != nil {
		return User{}, err
	}
	if _, err := s.users.SetLanguage(ctx, id.UserID, lang); err != nil {
		return User{}, fmt.Errorf("set language of %s: %w", id.UserID, err)
	}
	return s.GetMe(ctx, id)
}

// Rules returns the rules an operator tuned: lifetimes and the token cap.
func (s *Service) Rules() Config { return s.cfg }
